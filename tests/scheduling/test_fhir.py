"""FHIR Appointment, Schedule and Slot: read and search, valid R4B, the site's own only."""

from __future__ import annotations

from django.test import Client

from handregen.accounts.services import token_create
from handregen.scheduling.services import appointment_book, appointment_cancel
from tests.scheduling.conftest import next_weekday


def _client(persona, role="physician", site="demo"):
    token = token_create(username=persona(role, site).user.username, site_code=site)
    client = Client()
    return lambda path, **q: client.get(path, q, headers={"Authorization": f"Bearer {token}"})


def test_appointments_read_and_search_by_patient_date_and_status(
    persona, physician, make_episode, calendar, at, demo_site
):
    episode = make_episode()
    day = next_weekday(4, demo_site)
    kept = appointment_book(
        actor=physician,
        episode=episode,
        kind="consultation",
        starts_at=at(day, "09:00"),
        clinician=calendar.clinician,
        room=calendar.consultation_room,
    )
    gone = appointment_book(
        actor=physician,
        episode=make_episode(),
        kind="consultation",
        starts_at=at(day, "11:00"),
        clinician=calendar.clinician,
        room=calendar.consultation_room,
    )
    appointment_cancel(actor=physician, appointment=gone, reason="Unwell")
    get = _client(persona)
    read = get(f"/fhir/R4/Appointment/{kept.pk}")
    assert read.status_code == 200 and read["Content-Type"] == "application/fhir+json"
    body = read.json()
    assert body["status"] == "booked"
    assert body["participant"][0]["actor"]["reference"] == f"Patient/{episode.patient_id}"
    by_patient = get("/fhir/R4/Appointment", patient=f"Patient/{episode.patient_id}").json()
    assert [e["resource"]["id"] for e in by_patient["entry"]] == [str(kept.pk)]
    on_day = get("/fhir/R4/Appointment", date=f"ge{day.isoformat()}").json()
    assert on_day["total"] == 2
    cancelled = get("/fhir/R4/Appointment", status="cancelled").json()
    assert [e["resource"]["id"] for e in cancelled["entry"]] == [str(gone.pk)]
    assert get("/fhir/R4/Appointment", date="soon").status_code == 400


def test_schedules_and_busy_slots(persona, physician, make_episode, calendar, at, demo_site):
    day = next_weekday(4, demo_site)
    appointment_book(
        actor=physician,
        episode=make_episode(),
        kind="consultation",
        starts_at=at(day, "09:00"),
        clinician=calendar.clinician,
        room=calendar.consultation_room,
    )
    get = _client(persona)
    schedules = get("/fhir/R4/Schedule").json()
    assert {e["resource"]["actor"][0]["display"] for e in schedules["entry"]} == {
        "Dr Smith",
        "Room 1",
        "Procedure room",
        "Cell lab",
    }
    slots = get("/fhir/R4/Slot", schedule=f"Schedule/{calendar.clinician.pk}", start=day.isoformat()).json()
    assert slots["total"] == 3 and all(e["resource"]["status"] == "busy" for e in slots["entry"])
    first = slots["entry"][0]["resource"]
    assert get(f"/fhir/R4/Slot/{first['id']}").json()["schedule"]["reference"] == f"Schedule/{calendar.clinician.pk}"
    assert get(f"/fhir/R4/Schedule/{calendar.lab.pk}").json()["serviceType"][0]["text"] == "Cell lab"


def test_another_site_reads_nothing_and_a_researcher_is_refused(
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
    north = _client(persona, "physician", "north")
    assert north(f"/fhir/R4/Appointment/{booked.pk}").status_code == 404
    assert north(f"/fhir/R4/Schedule/{calendar.clinician.pk}").status_code == 404
    assert north("/fhir/R4/Appointment").json()["total"] == 0
    assert north("/fhir/R4/Slot").json()["total"] == 0
    assert north("/fhir/R4/Schedule").json()["total"] == 0
    assert _client(persona, "researcher")("/fhir/R4/Appointment").status_code == 403
    assert Client().get("/fhir/R4/Appointment").status_code == 401
