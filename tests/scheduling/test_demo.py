"""The demo calendar: resources with weekday hours and two consultations, and a second run changes nothing."""

from __future__ import annotations

from handregen.scheduling.demo import build_demo_calendar
from handregen.scheduling.models import Appointment, Resource, WorkingHours


def test_the_demo_calendar_is_bookable_and_safe_to_rerun(persona, make_episode):
    make_episode(), make_episode()
    actors = {"admin": persona("site_admin"), "physician": persona("physician"), "coordinator": persona("coordinator")}
    build_demo_calendar(**actors)
    build_demo_calendar(**actors)
    assert sorted(Resource.objects.values_list("kind", flat=True)) == ["clinician", "lab", "room", "room"]
    assert WorkingHours.objects.count() == 4 * 5
    assert Appointment.objects.filter(kind="consultation", status="booked").count() == 2
