"""Booking, moving and cancelling: each rule refuses with its reason and writes nothing; every write is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handregen.audit.models import AuditEvent
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.scheduling import availability, selectors
from handregen.scheduling.models import Appointment, SlotHold
from handregen.scheduling.services import (
    StaleAppointment,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from tests.journeys import to_consented
from tests.scheduling.conftest import next_weekday


def _book_consultation(physician, episode, calendar, starts_at, **extra):
    return appointment_book(
        actor=physician,
        episode=episode,
        kind="consultation",
        starts_at=starts_at,
        clinician=calendar.clinician,
        room=calendar.consultation_room,
        **extra,
    )


def _refused(call) -> list[str]:
    before = (
        Appointment.objects.count(),
        SlotHold.objects.count(),
        AuditEvent.objects.filter(action__startswith="appointment.").count(),
    )
    with pytest.raises(GuardRefused) as refused:
        call()
    after = (
        Appointment.objects.count(),
        SlotHold.objects.count(),
        AuditEvent.objects.filter(action__startswith="appointment.").count(),
    )
    assert after == before, "a refused booking must write nothing"
    return refused.value.reasons


def test_a_consultation_is_booked_with_its_slots_held_and_audited(physician, make_episode, calendar, at, demo_site):
    episode = make_episode()
    day = next_weekday(3, demo_site)
    booked = _book_consultation(physician, episode, calendar, at(day, "10:00"))
    assert booked.ends_at - booked.starts_at == timedelta(minutes=45)
    holds = SlotHold.objects.filter(appointment=booked, released_at__isnull=True)
    assert sorted(h.resource.name for h in holds) == ["Dr Smith"] * 3 + ["Room 1"] * 3
    event = AuditEvent.objects.get(action="appointment.book", object_id=str(booked.pk))
    assert event.changes["clinician"] == [None, "Dr Smith"]


def test_the_same_clinician_cannot_be_booked_twice(physician, make_episode, calendar, at, demo_site):
    day = next_weekday(3, demo_site)
    _book_consultation(physician, make_episode(), calendar, at(day, "10:00"))
    other = make_episode()
    reasons = _refused(lambda: _book_consultation(physician, other, calendar, at(day, "10:30")))
    assert any("Dr Smith is already booked at 10:30" in r for r in reasons)


def test_the_database_refuses_a_second_active_hold_of_the_same_slot(physician, make_episode, calendar, at, demo_site):
    from django.db import IntegrityError, transaction

    booked = _book_consultation(physician, make_episode(), calendar, at(next_weekday(3, demo_site), "10:00"))
    hold = SlotHold.objects.filter(appointment=booked).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotHold(resource=hold.resource, appointment=booked, slot=hold.slot, place=hold.place).save()


def test_outside_working_hours_is_refused_naming_the_hours(physician, make_episode, calendar, at, demo_site):
    episode = make_episode()
    reasons = _refused(
        lambda: _book_consultation(physician, episode, calendar, at(next_weekday(3, demo_site), "17:30"))
    )
    assert any("works from 08:00 to 18:00" in r and "outside those hours" in r for r in reasons)


def test_a_closed_day_is_refused_with_the_closure_reason(persona, physician, make_episode, calendar, at, demo_site):
    day = next_weekday(3, demo_site)
    availability.closure_add(actor=persona("site_admin"), starts_on=day, ends_on=day, reason="public holiday")
    episode = make_episode()
    reasons = _refused(lambda: _book_consultation(physician, episode, calendar, at(day, "10:00")))
    assert any("closed" in r and "public holiday" in r for r in reasons)


def test_a_time_off_the_quarter_hour_or_in_the_past_is_invalid(physician, make_episode, calendar, at, demo_site):
    episode = make_episode()
    with pytest.raises(InvalidInput):
        _book_consultation(physician, episode, calendar, at(next_weekday(3, demo_site), "10:10"))
    with pytest.raises(InvalidInput):
        _book_consultation(physician, episode, calendar, at(next_weekday(3, demo_site), "10:00") - timedelta(days=30))


def test_a_procedure_day_before_consent_is_refused_naming_the_rule(physician, make_episode, calendar, at, demo_site):
    episode = make_episode()
    reasons = _refused(
        lambda: appointment_book(
            actor=physician,
            episode=episode,
            kind="procedure_day",
            starts_at=at(next_weekday(10, demo_site), "08:00"),
            clinician=calendar.clinician,
            room=calendar.procedure_room,
        )
    )
    assert any("eligible and has signed a valid consent" in r for r in reasons)


def test_a_procedure_day_before_consent_can_be_held_tentatively(physician, make_episode, calendar, at, demo_site):
    booked = appointment_book(
        actor=physician,
        episode=make_episode(),
        kind="procedure_day",
        tentative=True,
        starts_at=at(next_weekday(10, demo_site), "08:00"),
        clinician=calendar.clinician,
        room=calendar.procedure_room,
    )
    assert booked.tentative
    assert booked.lab == calendar.lab


def test_a_consented_patient_gets_a_firm_procedure_day_and_a_lab_place(
    physician, make_episode, calendar, at, demo_site
):
    episode = to_consented(make_episode(), physician)
    booked = appointment_book(
        actor=physician,
        episode=episode,
        kind="procedure_day",
        starts_at=at(next_weekday(10, demo_site), "08:00"),
        clinician=calendar.clinician,
        room=calendar.procedure_room,
    )
    assert not booked.tentative
    assert booked.injection_at == booked.starts_at + timedelta(hours=3)
    assert SlotHold.objects.filter(appointment=booked, resource=calendar.lab, place=1).exists()


def test_the_lab_refuses_a_procedure_day_beyond_its_daily_capacity(
    physician, make_episode, calendar, at, demo_site, persona
):
    day = next_weekday(10, demo_site)
    second_room = availability.resource_create(
        actor=persona("site_admin"), kind="room", name="Procedure room 2", room_kind="procedure"
    )
    nurse_clinician = availability.resource_create(actor=persona("site_admin"), kind="clinician", name="Dr Jones")
    for resource in (second_room, nurse_clinician):
        availability.working_hours_set(
            actor=persona("site_admin"),
            resource=resource,
            weekday=day.weekday(),
            opens=at(day, "08:00").time(),
            closes=at(day, "18:00").time(),
        )
    appointment_book(
        actor=physician,
        episode=make_episode(),
        kind="procedure_day",
        tentative=True,
        starts_at=at(day, "08:00"),
        clinician=calendar.clinician,
        room=calendar.procedure_room,
    )
    other = make_episode()
    reasons = _refused(
        lambda: appointment_book(
            actor=physician,
            episode=other,
            kind="procedure_day",
            tentative=True,
            starts_at=at(day, "08:00"),
            clinician=nurse_clinician,
            room=second_room,
        )
    )
    assert any("Cell lab has no processing place left" in r for r in reasons)


def test_an_injection_booked_after_the_product_expires_is_refused(
    physician, make_episode, calendar, at, demo_site, persona
):
    availability.slot_length_set(actor=persona("site_admin"), kind="procedure_day", minutes=480)
    episode = make_episode()
    start = at(next_weekday(10, demo_site), "08:00")
    reasons = _refused(
        lambda: appointment_book(
            actor=physician,
            episode=episode,
            kind="procedure_day",
            tentative=True,
            starts_at=start,
            injection_at=start + timedelta(hours=7),
            clinician=calendar.clinician,
            room=calendar.procedure_room,
        )
    )
    assert any("would expire before the booked injection" in r for r in reasons)


def _procedure_day(physician, episode, calendar, starts_at):
    return appointment_book(
        actor=physician,
        episode=episode,
        kind="procedure_day",
        tentative=True,
        starts_at=starts_at,
        clinician=calendar.clinician,
        room=calendar.procedure_room,
    )


def test_a_follow_up_visit_needs_the_procedure_day_first(physician, make_episode, calendar, at, demo_site):
    episode = make_episode()
    reasons = _refused(
        lambda: appointment_book(
            actor=physician,
            episode=episode,
            kind="follow_up",
            timepoint="w6",
            starts_at=at(next_weekday(50, demo_site), "10:00"),
            clinician=calendar.clinician,
            room=calendar.consultation_room,
        )
    )
    assert reasons == ["Book the procedure day first: the follow-up windows count from it."]


def test_a_follow_up_visit_outside_its_window_needs_a_reason(physician, make_episode, calendar, at, demo_site):
    episode = make_episode()
    procedure = _procedure_day(physician, episode, calendar, at(next_weekday(10, demo_site), "08:00"))
    windows = {w.code: w for w in selectors.follow_up_windows(episode=episode)}
    six_weeks = windows["w6"]
    assert six_weeks.due_on == procedure.starts_at.date() + timedelta(days=42)
    too_late = six_weeks.due_until + timedelta(days=1)
    while too_late.weekday() >= 5:
        too_late += timedelta(days=1)

    def book(day, reason=""):
        return appointment_book(
            actor=physician,
            episode=episode,
            kind="follow_up",
            timepoint="w6",
            starts_at=at(day, "10:00"),
            clinician=calendar.clinician,
            room=calendar.consultation_room,
            outside_window_reason=reason,
        )

    reasons = _refused(lambda: book(too_late))
    assert any("is outside that window" in r and "6 weeks" in r for r in reasons)
    booked = book(too_late, reason="Patient abroad until then")
    assert booked.outside_window_reason == "Patient abroad until then"


def test_a_reschedule_moves_the_slots_and_a_stale_one_is_a_conflict(physician, make_episode, calendar, at, demo_site):
    episode = make_episode()
    day = next_weekday(3, demo_site)
    booked = _book_consultation(physician, episode, calendar, at(day, "10:00"))
    moved = appointment_reschedule(
        actor=physician, appointment=booked, starts_at=at(day, "14:00"), reason="Patient asked", version=1
    )
    assert moved.version == 2
    held = sorted(
        h.slot
        for h in SlotHold.objects.filter(appointment=booked, released_at__isnull=True, resource=calendar.clinician)
    )
    assert held[0] == at(day, "14:00")
    # the old time is free again for someone else
    _book_consultation(physician, make_episode(), calendar, at(day, "10:00"))
    with pytest.raises(StaleAppointment) as stale:
        appointment_reschedule(actor=physician, appointment=booked, starts_at=at(day, "15:00"), reason="x", version=1)
    assert stale.value.current["version"] == 2 and stale.value.yours["version"] == 1
    assert Appointment.objects.get(pk=booked.pk).starts_at == at(day, "14:00")


def test_a_reschedule_onto_a_busy_time_keeps_the_old_booking(physician, make_episode, calendar, at, demo_site):
    day = next_weekday(3, demo_site)
    mine = _book_consultation(physician, make_episode(), calendar, at(day, "10:00"))
    _book_consultation(physician, make_episode(), calendar, at(day, "14:00"))
    reasons = _refused(
        lambda: appointment_reschedule(
            actor=physician, appointment=mine, starts_at=at(day, "14:15"), reason="Patient asked"
        )
    )
    assert any("already booked" in r for r in reasons)
    assert SlotHold.objects.filter(appointment=mine, released_at__isnull=True).count() == 6


def test_cancel_needs_a_reason_and_frees_the_slots(physician, make_episode, calendar, at, demo_site):
    day = next_weekday(3, demo_site)
    booked = _book_consultation(physician, make_episode(), calendar, at(day, "10:00"))
    with pytest.raises(InvalidInput):
        appointment_cancel(actor=physician, appointment=booked, reason=" ")
    cancelled = appointment_cancel(actor=physician, appointment=booked, reason="Patient unwell")
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert not SlotHold.objects.filter(appointment=booked, released_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="appointment.cancel", reason="Patient unwell").exists()
    _book_consultation(physician, make_episode(), calendar, at(day, "10:00"))


def test_a_lab_technician_cannot_book_and_a_physician_cannot_set_up_the_calendar(
    persona, make_episode, calendar, at, demo_site
):
    with pytest.raises(Forbidden):
        _book_consultation(persona("lab_technician"), make_episode(), calendar, at(next_weekday(3, demo_site), "10:00"))
    with pytest.raises(Forbidden):
        availability.resource_create(actor=persona("physician"), kind="room", name="X", room_kind="consultation")


def test_another_sites_resources_and_appointments_are_not_found(
    persona, physician, make_episode, calendar, at, demo_site
):
    booked = _book_consultation(physician, make_episode(), calendar, at(next_weekday(3, demo_site), "10:00"))
    north = persona("physician", "north")
    with pytest.raises(NotFound):
        selectors.appointment_get(actor=north, appointment_id=booked.pk)
    with pytest.raises(NotFound):
        appointment_cancel(actor=north, appointment=booked, reason="x")
    north_episode = make_episode(actor=north)
    with pytest.raises(NotFound):
        appointment_book(
            actor=north,
            episode=north_episode,
            kind="consultation",
            starts_at=at(next_weekday(3, demo_site), "11:00"),
            clinician=calendar.clinician,
            room=calendar.consultation_room,
        )


def test_a_failing_audit_write_rolls_the_booking_back(physician, make_episode, calendar, at, demo_site, monkeypatch):
    from handregen.scheduling import services

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", broken)
    episode = make_episode()
    with pytest.raises(RuntimeError):
        _book_consultation(physician, episode, calendar, at(next_weekday(3, demo_site), "10:00"))
    assert not Appointment.objects.exists() and not SlotHold.objects.exists()
