"""A new patient's calendar end to end in Chromium: consultation, procedure day and the 6-week visit booked from
the episode's pages, seen on the clinician's, room's and lab's day lists; moving the procedure day moves the
preparation dates; the patient's messages arrive on a real SMTP server started here (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import os
import socket
from datetime import date, timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from tests.journeys import to_consented, to_consulted
from tests.scheduling.conftest import build_calendar, next_weekday

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Inbox:
    """aiosmtpd handler that keeps every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def _book(page, episode, *, kind: str, day: date, start: str, clinician: str, room: str, timepoint: str = "") -> None:
    page.goto(f"/episodes/{episode.pk}/appointments/")
    assert page.locator("h1").inner_text() == "Appointments", page.content()[:3000]
    page.locator("#id_kind").select_option(label=kind)
    page.locator("#id_day").fill(day.isoformat())
    page.locator("#id_start").fill(start)
    page.locator("#id_clinician").select_option(label=clinician)
    page.locator("#id_room").select_option(label=room)
    if timepoint:
        page.locator("#id_timepoint").select_option(timepoint)
    page.get_by_role("button", name="Book").click()
    page.get_by_text(f"{kind} booked.").wait_for()


def _day_list(page, resource, day: date) -> str:
    page.goto(f"/schedule/resources/{resource.pk}/day/?day={day.isoformat()}")
    return page.locator("main").inner_text()


def test_a_new_patients_calendar_from_booking_to_a_moved_procedure_day(
    page, sign_in, persona, make_patient, make_episode, smtp_inbox, screenshot, demo_site
):
    physician = persona("physician")
    calendar = build_calendar(persona("site_admin"), physician)
    patient = make_patient(given_name="Nadia", family_name="Kowalczyk", email="nadia@example.org")
    episode = make_episode(patient=patient)
    sign_in(page, "coordinator")
    consultation_day = next_weekday(2, demo_site)
    _book(
        page,
        episode,
        kind="Consultation",
        day=consultation_day,
        start="09:00",
        clinician="Dr Smith",
        room="Room 1 (consultation room)",
    )

    # The consultation, candidacy and consent happen (recorded through the services; tested elsewhere).
    to_consulted(episode, physician, medications=[{"name": "ibuprofen", "drug_class": "nsaid", "dose": "400 mg"}])
    to_consented(episode, physician)
    procedure_day = next_weekday(14, demo_site)
    _book(
        page,
        episode,
        kind="Procedure day (harvest and injection)",
        day=procedure_day,
        start="08:00",
        clinician="Dr Smith",
        room="Procedure room (procedure room with imaging)",
    )
    six_weeks = procedure_day + timedelta(days=42)
    while six_weeks.weekday() >= 5:
        six_weeks += timedelta(days=1)
    _book(
        page,
        episode,
        kind="Follow-up visit",
        day=six_weeks,
        start="10:00",
        clinician="Dr Smith",
        room="Room 1 (consultation room)",
        timepoint="w6",
    )
    screenshot(page, "appointments-episode-1280")
    page.set_viewport_size({"width": 320, "height": 900})
    screenshot(page, "appointments-episode-320")
    page.set_viewport_size({"width": 1280, "height": 900})

    assert "Kowalczyk" in _day_list(page, calendar.clinician, consultation_day)
    assert "Kowalczyk" in _day_list(page, calendar.consultation_room, consultation_day)
    clinician_list = _day_list(page, calendar.clinician, procedure_day)
    assert "Kowalczyk" in clinician_list and "Procedure day" in clinician_list
    room_list = _day_list(page, calendar.procedure_room, procedure_day)
    assert "Kowalczyk" in room_list and "✓ Consent signed" in room_list
    lab_list = _day_list(page, calendar.lab, procedure_day)
    assert "Kowalczyk" in lab_list and "✗ Product released" in lab_list
    screenshot(page, "appointments-lab-day-1280")
    assert "Kowalczyk" in _day_list(page, calendar.clinician, six_weeks)

    page.goto(f"/episodes/{episode.pk}/preparation/instructions/")
    stop_before = (procedure_day - timedelta(days=7)).isoformat()
    assert f"(on {stop_before})" in page.locator("body").inner_text()

    # Move the procedure day a week later: the preparation dates follow, and the patient is told.
    moved_to = procedure_day + timedelta(days=7)
    page.goto(f"/episodes/{episode.pk}/appointments/")
    page.get_by_role("row", name="Procedure day").get_by_role("link", name="Move or cancel").click()
    page.get_by_label("New date").fill(moved_to.isoformat())
    page.get_by_label("Why it moves").fill("Procedure room under maintenance")
    page.get_by_role("button", name="Move the appointment").click()
    page.get_by_text("Appointment moved; the patient is told.").wait_for()
    page.goto(f"/episodes/{episode.pk}/preparation/instructions/")
    instructions = page.locator("body").inner_text()
    stop_after = (moved_to - timedelta(days=7)).isoformat()
    assert f"(on {stop_after})" in instructions and f"(on {stop_before})" not in instructions
    assert "Kowalczyk" in _day_list(page, calendar.lab, moved_to)
    assert "Kowalczyk" not in _day_list(page, calendar.lab, procedure_day)

    subjects = [str(m["Subject"]).split(" — ")[0] for m in smtp_inbox.messages]
    assert subjects == ["Your appointment is booked"] * 3 + ["Your appointment has moved"]
    assert all(str(m["To"]) == "nadia@example.org" for m in smtp_inbox.messages)
    moved = smtp_inbox.messages[-1]
    body = next(p for p in moved.walk() if p.get_content_type() == "text/plain").get_content()
    assert moved_to.strftime("%-d %B %Y") in body and f"(on {stop_after})" in body
    attachments = [p for p in moved.walk() if p.get_content_type() == "text/calendar"]
    assert len(attachments) == 1
