"""A small calendar at Demo: one physician, a consultation room, a procedure room, a cell lab of one place a day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site
from handregen.scheduling import availability
from handregen.scheduling.models import Resource


@dataclass
class Calendar:
    clinician: Resource
    consultation_room: Resource
    procedure_room: Resource
    lab: Resource


def build_calendar(admin: Actor, physician: Actor, *, lab_places: int = 1, prefix: str = "") -> Calendar:
    clinician = availability.resource_create(
        actor=admin, kind="clinician", name=f"{prefix}Dr Smith", user_id=physician.user.pk
    )
    consultation = availability.resource_create(
        actor=admin, kind="room", name=f"{prefix}Room 1", room_kind="consultation"
    )
    procedure = availability.resource_create(
        actor=admin, kind="room", name=f"{prefix}Procedure room", room_kind="procedure"
    )
    lab = availability.resource_create(actor=admin, kind="lab", name=f"{prefix}Cell lab", daily_capacity=lab_places)
    for resource in (clinician, consultation, procedure, lab):
        for weekday in range(6):  # Monday to Saturday; Sundays closed
            availability.working_hours_set(
                actor=admin, resource=resource, weekday=weekday, opens=time(8), closes=time(18)
            )
    return Calendar(clinician, consultation, procedure, lab)


@pytest.fixture
def calendar(persona: Callable[..., Actor]) -> Calendar:
    return build_calendar(persona("site_admin"), persona("physician"))


def next_weekday(after_days: int, site: Site) -> date:
    """A Monday-to-Friday date at least `after_days` ahead in the site's calendar."""
    day = datetime.now(ZoneInfo(site.time_zone)).date() + timedelta(days=after_days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def at(demo_site: Site) -> Callable[[date, str], datetime]:
    """`at(day, "10:00")`: that local time at Demo, as an aware datetime."""

    def make(day: date, clock: str) -> datetime:
        hour, minute = (int(p) for p in clock.split(":"))
        return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(demo_site.time_zone))

    return make
