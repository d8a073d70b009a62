"""The demo site's calendar: a physician, two rooms and the cell lab, open on weekdays, and a few bookings."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from handregen.accounts.actor import Actor
from handregen.errors import GuardRefused
from handregen.pathway.models import Episode
from handregen.scheduling import availability
from handregen.scheduling.models import Appointment, Resource
from handregen.scheduling.services import appointment_book

DEMO_RESOURCES = [
    ("clinician", "Dr Ada Okafor", "", 0),
    ("room", "Consultation room 1", "consultation", 0),
    ("room", "Procedure room (imaging)", "procedure", 0),
    ("lab", "Cell lab", "", 2),
]


def build_demo_calendar(*, admin: Actor, physician: Actor, coordinator: Actor) -> None:
    """Resources and weekday hours (08:00-17:00) at the demo site, and two consultations booked; safe to rerun."""
    resources = {}
    for kind, name, room_kind, capacity in DEMO_RESOURCES:
        found = Resource.objects.filter(site=admin.site, name=name).first()
        if found is None:
            found = availability.resource_create(
                actor=admin,
                kind=kind,
                name=name,
                room_kind=room_kind,
                daily_capacity=capacity,
                user_id=physician.user.pk if kind == "clinician" else None,
            )
            for weekday in range(5):
                availability.working_hours_set(
                    actor=admin, resource=found, weekday=weekday, opens=time(8), closes=time(17)
                )
        resources[kind if kind != "room" else room_kind] = found
    if Appointment.objects.filter(site=admin.site).exists():
        return
    zone = ZoneInfo(admin.site.time_zone)
    day = datetime.now(zone).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    referred = Episode.objects.filter(site=admin.site, stage="referred", patient__is_synthetic=False).order_by(
        "patient__mrn"
    )[:2]
    for episode, clock in zip(referred, (time(9), time(10)), strict=False):
        try:
            appointment_book(
                actor=coordinator,
                episode=episode,
                kind="consultation",
                starts_at=datetime.combine(day, clock, tzinfo=zone),
                clinician=resources["clinician"],
                room=resources["consultation"],
            )
        except GuardRefused:
            continue  # a demo booking that does not fit is left out, not forced
