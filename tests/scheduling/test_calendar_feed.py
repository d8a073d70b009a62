"""The iCalendar feed of a resource: parses with `icalendar`, names no patient, opens only with its live secret."""

from __future__ import annotations

from django.test import Client
from icalendar import Calendar

from handregen.scheduling import availability
from handregen.scheduling.services import appointment_book, appointment_cancel
from tests.scheduling.conftest import next_weekday


def test_the_feed_parses_and_holds_initials_and_the_link_but_no_name(
    persona, physician, make_patient, make_episode, calendar, at, demo_site
):
    patient = make_patient(given_name="Wilhelmina", family_name="Quackenbush", email="wq@example.org")
    episode = make_episode(patient=patient)
    day = next_weekday(4, demo_site)
    booked = appointment_book(
        actor=physician,
        episode=episode,
        kind="consultation",
        starts_at=at(day, "09:00"),
        clinician=calendar.clinician,
        room=calendar.consultation_room,
    )
    token = availability.feed_token_rotate(actor=persona("site_admin"), resource=calendar.clinician)
    response = Client().get(f"/schedule/feed/{calendar.clinician.pk}/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    for identity in ("Wilhelmina", "Quackenbush", patient.mrn, "wq@example.org", str(patient.birth_date)):
        assert identity not in text
    events = list(Calendar.from_ical(response.content).walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "Consultation — W.Q."
    assert str(event["url"]).endswith(f"/episodes/{episode.pk}/")
    assert event.decoded("dtstart") == booked.starts_at
    assert str(event["uid"]) == f"{booked.pk}@handregen"


def test_a_cancelled_appointment_stays_in_the_feed_as_cancelled(
    persona, physician, make_episode, calendar, at, demo_site
):
    booked = appointment_book(
        actor=physician,
        episode=make_episode(),
        kind="consultation",
        starts_at=at(next_weekday(4, demo_site), "09:00"),
        clinician=calendar.clinician,
        room=calendar.consultation_room,
    )
    appointment_cancel(actor=physician, appointment=booked, reason="Unwell")
    token = availability.feed_token_rotate(actor=persona("site_admin"), resource=calendar.consultation_room)
    events = list(
        Calendar.from_ical(Client().get(f"/schedule/feed/{calendar.consultation_room.pk}/{token}.ics").content).walk(
            "VEVENT"
        )
    )
    assert [str(e["status"]) for e in events] == ["CANCELLED"]


def test_a_wrong_rotated_or_revoked_secret_is_a_404(persona, calendar):
    admin = persona("site_admin")
    old = availability.feed_token_rotate(actor=admin, resource=calendar.lab)
    url = f"/schedule/feed/{calendar.lab.pk}/{{}}.ics"
    assert Client().get(url.format(old)).status_code == 200
    assert Client().get(url.format(old + "x")).status_code == 404
    new = availability.feed_token_rotate(actor=admin, resource=calendar.lab)
    assert Client().get(url.format(old)).status_code == 404
    assert Client().get(url.format(new)).status_code == 200
    availability.feed_token_revoke(actor=admin, resource=calendar.lab)
    assert Client().get(url.format(new)).status_code == 404
    # another resource's id with this secret opens nothing either
    again = availability.feed_token_rotate(actor=admin, resource=calendar.lab)
    assert Client().get(f"/schedule/feed/{calendar.clinician.pk}/{again}.ics").status_code == 404
