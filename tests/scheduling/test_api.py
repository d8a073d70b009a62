"""/api/v1/appointments: book, list, move (versioned: a stale move is a 409 with both versions), cancel."""

from __future__ import annotations

from handregen.scheduling.models import Appointment
from tests.scheduling.conftest import next_weekday


def _body(episode, calendar, starts_at, **extra):
    return {
        "episode_id": str(episode.pk),
        "kind": "consultation",
        "starts_at": starts_at.isoformat(),
        "clinician_id": str(calendar.clinician.pk),
        "room_id": str(calendar.consultation_room.pk),
    } | extra


def test_book_list_move_and_cancel_through_the_api(api, make_episode, calendar, at, demo_site):
    client = api("coordinator")
    episode = make_episode()
    day = next_weekday(4, demo_site)
    booked = client.post("/api/v1/appointments", _body(episode, calendar, at(day, "09:00")))
    assert booked.status_code == 201, booked.content
    item = booked.json()
    assert item["kind_label"] == "Consultation" and item["version"] == 1
    listed = client.get("/api/v1/appointments", episode_id=str(episode.pk)).json()
    assert [i["id"] for i in listed["items"]] == [item["id"]]
    moved = client.post(
        f"/api/v1/appointments/{item['id']}/reschedule",
        {"version": 1, "starts_at": at(day, "11:00").isoformat(), "reason": "Patient asked"},
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = client.post(
        f"/api/v1/appointments/{item['id']}/reschedule",
        {"version": 1, "starts_at": at(day, "12:00").isoformat(), "reason": "Other desk"},
    )
    assert stale.status_code == 409
    problem = stale.json()
    assert problem["current"]["version"] == 2 and problem["yours"]["version"] == 1
    assert problem["current"]["starts_at"].startswith(at(day, "11:00").astimezone().isoformat()[:10])
    cancelled = client.post(f"/api/v1/appointments/{item['id']}/cancel", {"reason": "Unwell", "version": 2})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_a_refused_booking_is_a_409_naming_the_rule_and_writes_nothing(api, make_episode, calendar, at, demo_site):
    client = api("physician")
    episode = make_episode()
    body = _body(
        episode,
        calendar,
        at(next_weekday(10, demo_site), "08:00"),
        kind="procedure_day",
        room_id=str(calendar.procedure_room.pk),
    )
    refused = client.post("/api/v1/appointments", body)
    assert refused.status_code == 409
    assert any("signed a valid consent" in r for r in refused.json()["reasons"])
    assert not Appointment.objects.exists()


def test_north_sees_no_demo_appointment(api, make_episode, calendar, at, demo_site):
    booked = (
        api("physician")
        .post("/api/v1/appointments", _body(make_episode(), calendar, at(next_weekday(4, demo_site), "09:00")))
        .json()
    )
    north = api("physician", "north")
    assert north.get(f"/api/v1/appointments/{booked['id']}").status_code == 404
    assert north.post(f"/api/v1/appointments/{booked['id']}/cancel", {"reason": "x"}).status_code == 404
    assert north.get("/api/v1/appointments").json()["count"] == 0


def test_a_lab_technician_may_read_but_not_book(api, make_episode, calendar, at, demo_site):
    episode = make_episode()
    lab = api("lab_technician")
    assert lab.get("/api/v1/appointments").status_code == 200
    assert (
        lab.post("/api/v1/appointments", _body(episode, calendar, at(next_weekday(4, demo_site), "09:00"))).status_code
        == 403
    )


def test_a_clinician_or_room_this_site_does_not_have_is_invalid_input(api, make_episode, calendar, at, demo_site):
    import uuid

    body = _body(make_episode(), calendar, at(next_weekday(4, demo_site), "09:00"), clinician_id=str(uuid.uuid4()))
    refused = api("physician").post("/api/v1/appointments", body)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "clinician_id", "message": "is not a clinician, room or lab of this site"}
    ]
    assert not Appointment.objects.exists()
