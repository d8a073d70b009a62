"""The calendar's pages: booking from the episode, the day lists, the set-up for site admins only, isolation."""

from __future__ import annotations

from handregen.scheduling.models import Appointment, Resource
from handregen.scheduling.services import appointment_book
from tests.journeys import to_consented
from tests.scheduling.conftest import next_weekday


def test_booking_from_the_episode_page_and_seeing_it_on_the_day_list(
    signed_in, physician, make_episode, calendar, demo_site
):
    episode = make_episode()
    client = signed_in("coordinator")
    page = client.get(f"/episodes/{episode.pk}/appointments/")
    assert page.status_code == 200 and "eligible and has signed a valid consent" in page.content.decode()
    day = next_weekday(1, demo_site)
    response = client.post(
        f"/episodes/{episode.pk}/appointments/",
        {
            "kind": "consultation",
            "day": day.isoformat(),
            "start": "09:00",
            "clinician": str(calendar.clinician.pk),
            "room": str(calendar.consultation_room.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Appointment.objects.filter(episode=episode, kind="consultation").count() == 1
    listed = client.get(f"/schedule/resources/{calendar.clinician.pk}/day/", {"day": day.isoformat()}).content.decode()
    assert episode.patient.family_name in listed and "Consultation" in listed
    week = client.get(f"/schedule/resources/{calendar.consultation_room.pk}/week/", {"start": day.isoformat()})
    assert episode.patient.family_name in week.content.decode()


def test_a_refused_booking_shows_the_rule_on_the_page(signed_in, make_episode, calendar, demo_site):
    episode = make_episode()
    response = signed_in("physician").post(
        f"/episodes/{episode.pk}/appointments/",
        {
            "kind": "procedure_day",
            "day": next_weekday(5, demo_site).isoformat(),
            "start": "08:00",
            "clinician": str(calendar.clinician.pk),
            "room": str(calendar.procedure_room.pk),
        },
    )
    assert response.status_code == 200
    assert "This step was refused" in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_lab_day_list_shows_what_must_be_ready(signed_in, physician, make_episode, calendar, at, demo_site):
    episode = to_consented(make_episode(), physician)
    day = next_weekday(3, demo_site)
    appointment_book(
        actor=physician,
        episode=episode,
        kind="procedure_day",
        starts_at=at(day, "08:00"),
        clinician=calendar.clinician,
        room=calendar.procedure_room,
    )
    page = (
        signed_in("lab_technician")
        .get(f"/schedule/resources/{calendar.lab.pk}/day/", {"day": day.isoformat()})
        .content.decode()
    )
    assert "✓ Consent signed" in page
    assert "✗ Preparation checklist complete" in page and "✗ Product released" in page


def test_only_a_site_admin_sets_up_the_calendar(signed_in, calendar):
    assert signed_in("physician").get("/schedule/setup/").status_code == 404
    admin = signed_in("site_admin")
    assert admin.get("/schedule/setup/").status_code == 200
    response = admin.post(
        "/schedule/setup/", {"action": "resource", "kind": "room", "name": "Room 2", "room_kind": "consultation"}
    )
    assert response.status_code == 302
    assert Resource.objects.filter(name="Room 2", room_kind="consultation").exists()


def test_another_sites_staff_get_404(signed_in, physician, make_episode, calendar, at, demo_site):
    booked = appointment_book(
        actor=physician,
        episode=make_episode(),
        kind="consultation",
        starts_at=at(next_weekday(3, demo_site), "09:00"),
        clinician=calendar.clinician,
        room=calendar.consultation_room,
    )
    north = signed_in("physician", "north")
    assert north.get(f"/appointments/{booked.pk}/").status_code == 404
    assert north.get(f"/episodes/{booked.episode_id}/appointments/").status_code == 404
    assert north.get(f"/schedule/resources/{calendar.clinician.pk}/day/").status_code == 404
    assert north.get(f"/schedule/resources/{calendar.clinician.pk}/week/").status_code == 404
