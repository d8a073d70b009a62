"""The booked procedure day decides the preparation dates; a typed date counts only while none is booked."""

from __future__ import annotations

from datetime import timedelta

from handregen.preparation.selectors import instructions_of
from handregen.scheduling.services import appointment_book, appointment_cancel, appointment_reschedule
from tests.journeys import to_consulted
from tests.scheduling.conftest import next_weekday

NSAID = [{"name": "ibuprofen", "drug_class": "nsaid", "dose": "400 mg"}]


def test_hold_dates_follow_the_booked_day_and_its_moves(physician, make_episode, calendar, at, demo_site):
    episode = to_consulted(make_episode(), physician, medications=NSAID)
    typed = next_weekday(30, demo_site)
    assert (
        instructions_of(episode=episode, procedure_date=typed).holds[0].stop_on
        == (typed - timedelta(days=7)).isoformat()
    )
    day = next_weekday(10, demo_site)
    booked = appointment_book(
        actor=physician,
        episode=episode,
        kind="procedure_day",
        tentative=True,
        starts_at=at(day, "08:00"),
        clinician=calendar.clinician,
        room=calendar.procedure_room,
    )
    after_booking = instructions_of(episode=episode, procedure_date=typed)
    assert after_booking.procedure_date == day.isoformat()
    assert after_booking.holds[0].stop_on == (day - timedelta(days=7)).isoformat()
    later = day + timedelta(days=7)
    appointment_reschedule(actor=physician, appointment=booked, starts_at=at(later, "08:00"), reason="Room closed")
    assert instructions_of(episode=episode).holds[0].stop_on == (later - timedelta(days=7)).isoformat()
    appointment_cancel(actor=physician, appointment=booked, reason="Patient postponed")
    assert instructions_of(episode=episode).procedure_date is None
    assert instructions_of(episode=episode, procedure_date=typed).procedure_date == typed.isoformat()
