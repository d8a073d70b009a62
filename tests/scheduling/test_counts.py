"""The managers' counts, checked against a computation by hand of the same appointments."""

from __future__ import annotations

import statistics
from datetime import timedelta

from django.utils import timezone

from handregen.scheduling.counts import month_table, monthly_counts
from handregen.scheduling.models import Appointment
from handregen.scheduling.services import appointment_attendance, appointment_book, appointment_cancel
from tests.scheduling.conftest import next_weekday


def test_month_table_medians_and_counts_per_month():
    rows = month_table(
        referral_waits=[("2026-01", 10), ("2026-01", 20), ("2026-01", 90), ("2026-02", 5)],
        consent_waits=[("2026-02", 14)],
        no_shows=["2026-01", "2026-01"],
        late_cancellations=["2026-03"],
    )
    assert [r.month for r in rows] == ["2026-03", "2026-02", "2026-01"]
    january = rows[2]
    assert (january.consultations, january.referral_wait_median_days, january.no_shows) == (3, 20, 2)
    assert rows[1].consent_wait_median_days == 14 and rows[0].late_cancellations == 1


def test_site_counts_match_the_appointments(persona, physician, make_episode, calendar, at, demo_site):
    day = next_weekday(4, demo_site)
    episodes = [make_episode() for _ in range(3)]
    booked = [
        appointment_book(
            actor=physician,
            episode=e,
            kind="consultation",
            starts_at=at(day, clock),
            clinician=calendar.clinician,
            room=calendar.consultation_room,
        )
        for e, clock in zip(episodes, ("09:00", "10:00", "11:00"), strict=True)
    ]
    appointment_cancel(actor=physician, appointment=booked[2], reason="Unwell")  # days ahead: not late
    # A no-show: the appointment's time has passed (moved into the past directly, as time would)
    past = Appointment.objects.get(pk=booked[1].pk)
    past.starts_at, past.ends_at = timezone.now() - timedelta(hours=2), timezone.now() - timedelta(hours=1)
    past.save()
    appointment_attendance(actor=physician, appointment=past, attended=False)
    months = monthly_counts(actor=persona("site_admin"))
    waits = sorted(
        (a.starts_at - a.episode.created_at).total_seconds() / 86400
        for a in Appointment.objects.filter(pk__in=[booked[0].pk, booked[1].pk]).select_related("episode")
    )
    assert sum(m.consultations for m in months) == 2
    assert sum(m.no_shows for m in months) == 1 and sum(m.late_cancellations for m in months) == 0
    medians = {m.month: m.referral_wait_median_days for m in months if m.consultations}
    if len(medians) == 1:
        assert next(iter(medians.values())) == round(statistics.median(waits), 1)
    assert monthly_counts(actor=persona("site_admin", "north")) == []
