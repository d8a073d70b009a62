"""Patients are told: booking, move and cancellation e-mails with an .ics file, and one day-before reminder."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from icalendar import Calendar

from handregen.scheduling.messages import reminders_send
from handregen.scheduling.models import AppointmentMessage
from handregen.scheduling.services import appointment_book, appointment_cancel, appointment_reschedule
from tests.scheduling.conftest import next_weekday


def test_booking_moving_and_cancelling_each_send_one_message_with_the_appointment(
    physician, make_patient, make_episode, calendar, at, demo_site, django_capture_on_commit_callbacks
):
    episode = make_episode(patient=make_patient(email="rose@example.org"))
    day = next_weekday(4, demo_site)
    with django_capture_on_commit_callbacks(execute=True):
        booked = appointment_book(
            actor=physician,
            episode=episode,
            kind="consultation",
            starts_at=at(day, "09:00"),
            clinician=calendar.clinician,
            room=calendar.consultation_room,
        )
    with django_capture_on_commit_callbacks(execute=True):
        appointment_reschedule(actor=physician, appointment=booked, starts_at=at(day, "11:00"), reason="Asked")
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=physician, appointment=booked, reason="Unwell")
    assert [m.subject.split(" — ")[0] for m in mail.outbox] == [
        "Your appointment is booked",
        "Your appointment has moved",
        "Your appointment is cancelled",
    ]
    assert mail.outbox[0].to == ["rose@example.org"]
    assert "11:00" in mail.outbox[1].body and "It was booked for" in mail.outbox[1].body
    name, content, kind = mail.outbox[1].attachments[0]
    assert name == "appointment.ics" and kind == "text/calendar"
    event = next(iter(Calendar.from_ical(content).walk("VEVENT")))
    assert event.decoded("dtstart") == at(day, "11:00")
    assert AppointmentMessage.objects.filter(appointment=booked).count() == 3


def test_a_refused_booking_sends_nothing(
    physician, make_patient, make_episode, calendar, at, demo_site, django_capture_on_commit_callbacks
):
    import pytest

    from handregen.errors import GuardRefused

    episode = make_episode(patient=make_patient(email="rose@example.org"))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(GuardRefused):
        appointment_book(
            actor=physician,
            episode=episode,
            kind="consultation",
            starts_at=at(next_weekday(4, demo_site), "19:00"),
            clinician=calendar.clinician,
            room=calendar.consultation_room,
        )
    assert mail.outbox == []


def test_the_reminder_goes_once_the_day_before(physician, make_patient, make_episode, calendar, at, demo_site):
    episode = make_episode(patient=make_patient(email="rose@example.org"))
    day = next_weekday(4, demo_site)
    appointment_book(
        actor=physician,
        episode=episode,
        kind="consultation",
        starts_at=at(day, "09:00"),
        clinician=calendar.clinician,
        room=calendar.consultation_room,
    )
    mail.outbox.clear()
    two_days_before = at(day, "09:00") - timedelta(days=2)
    assert reminders_send(two_days_before) == 0
    day_before = at(day, "09:00") - timedelta(hours=20)
    assert reminders_send(day_before) == 1
    assert reminders_send(day_before + timedelta(hours=1)) == 0  # safe to rerun
    assert mail.outbox[0].subject.startswith("Reminder: your appointment tomorrow")
