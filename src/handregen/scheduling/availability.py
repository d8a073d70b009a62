"""Services for the calendar's set-up (site admins): resources, working hours, closures, slot lengths, feeds."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, time
from typing import Any

from django.db import IntegrityError, transaction

from handregen.accounts.actor import Actor
from handregen.accounts.models import Membership
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.errors import InvalidInput, NotFound
from handregen.scheduling.models import Closure, Resource, SlotLength, WorkingHours
from handregen.scheduling.slots import KINDS, RESOURCE_KINDS, ROOM_KINDS, WEEKDAYS


def feed_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _own(actor: Actor, resource: Resource) -> Resource:
    try:
        return Resource.objects.select_for_update().get(pk=resource.pk, site=actor.site)
    except Resource.DoesNotExist as exc:
        raise NotFound("resource") from exc


def _audit(
    actor: Actor, action: str, resource: Resource | None, changes: dict[str, Any], object_id: Any = None
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="schedule_resource",
        object_id=object_id if object_id is not None else resource.pk if resource else "",
        changes=changes,
    )


@transaction.atomic
def resource_create(
    *, actor: Actor, kind: str, name: str, room_kind: str = "", user_id: int | None = None, daily_capacity: int = 0
) -> Resource:
    """Add a clinician, a room or the cell lab to the site's calendar."""
    actor.require(Permission.SCHEDULE_MANAGE)
    name = name.strip()
    errors: list[tuple[str, str]] = []
    if kind not in RESOURCE_KINDS:
        errors.append(("kind", "choose clinician, room or cell lab"))
    if not name:
        errors.append(("name", "give the name people know it by"))
    if kind == "room" and room_kind not in ROOM_KINDS:
        errors.append(("room_kind", "say whether it is a consultation room or a procedure room"))
    if kind != "room":
        room_kind = ""
    if kind == "lab" and not 1 <= daily_capacity <= 50:
        errors.append(("daily_capacity", "how many products the lab can process in a day (1 to 50)"))
    if kind != "lab":
        daily_capacity = 0
    if user_id is not None and not Membership.objects.filter(user_id=user_id, site=actor.site).exists():
        errors.append(("user", "is not a member of staff at this site"))
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            resource = Resource.objects.create(
                site=actor.site,
                kind=kind,
                name=name,
                room_kind=room_kind,
                user_id=user_id,
                daily_capacity=daily_capacity,
            )
    except IntegrityError as exc:
        raise InvalidInput([("name", "another resource of this site has that name")]) from exc
    _audit(
        actor,
        "schedule.resource_create",
        resource,
        {
            "kind": [None, kind],
            "name": [None, name],
            "room_kind": [None, room_kind],
            "daily_capacity": [None, daily_capacity],
        },
    )
    return resource


@transaction.atomic
def resource_update(
    *, actor: Actor, resource: Resource, active: bool | None = None, daily_capacity: int | None = None
) -> Resource:
    """Take a resource off or back on the calendar, or change the lab's daily capacity."""
    actor.require(Permission.SCHEDULE_MANAGE)
    locked = _own(actor, resource)
    changes: dict[str, Any] = {}
    if active is not None and active != locked.active:
        changes["active"] = [locked.active, active]
        locked.active = active
    if daily_capacity is not None and locked.kind == "lab" and daily_capacity != locked.daily_capacity:
        if not 1 <= daily_capacity <= 50:
            raise InvalidInput([("daily_capacity", "how many products the lab can process in a day (1 to 50)")])
        changes["daily_capacity"] = [locked.daily_capacity, daily_capacity]
        locked.daily_capacity = daily_capacity
    if changes:
        locked.save()
        _audit(actor, "schedule.resource_update", locked, changes)
    return locked


@transaction.atomic
def working_hours_set(
    *, actor: Actor, resource: Resource, weekday: int, opens: time | None, closes: time | None
) -> WorkingHours | None:
    """Set a resource's hours on one weekday (0 = Monday); no hours closes that weekday."""
    actor.require(Permission.SCHEDULE_MANAGE)
    locked = _own(actor, resource)
    if not 0 <= weekday <= 6:
        raise InvalidInput([("weekday", "choose a day from Monday to Sunday")])
    if (opens is None) != (closes is None) or (opens is not None and closes is not None and opens >= closes):
        raise InvalidInput([("closes", "give an opening time before the closing time, or neither to close the day")])
    current = WorkingHours.objects.filter(resource=locked, weekday=weekday).first()
    before = f"{current.opens:%H:%M}-{current.closes:%H:%M}" if current else None
    if opens is None or closes is None:
        row = None
        if current is not None:
            # A weekday's hours are configuration, not a clinical record: closing the day removes the span.
            current.delete()
    elif current is None:
        row = WorkingHours.objects.create(resource=locked, weekday=weekday, opens=opens, closes=closes)
    else:
        current.opens, current.closes = opens, closes
        current.save()
        row = current
    after = f"{opens:%H:%M}-{closes:%H:%M}" if row is not None and opens and closes else None
    _audit(actor, "schedule.hours_set", locked, {WEEKDAYS[weekday].lower(): [before, after]})
    return row


@transaction.atomic
def closure_add(
    *, actor: Actor, starts_on: date, ends_on: date, reason: str, resource: Resource | None = None
) -> Closure:
    """Close a resource (or the whole site, without one) from `starts_on` to `ends_on`, both days included."""
    actor.require(Permission.SCHEDULE_MANAGE)
    locked = _own(actor, resource) if resource is not None else None
    errors: list[tuple[str, str]] = []
    if ends_on < starts_on:
        errors.append(("ends_on", "is before the first closed day"))
    if not reason.strip():
        errors.append(("reason", "say why (leave, public holiday, maintenance)"))
    if errors:
        raise InvalidInput(errors)
    closure = Closure.objects.create(
        site=actor.site, resource=locked, starts_on=starts_on, ends_on=ends_on, reason=reason.strip()
    )
    _audit(
        actor,
        "schedule.closure_add",
        locked,
        {"closed": [None, [starts_on, ends_on]], "reason": [None, closure.reason]},
        object_id=locked.pk if locked else actor.site.pk,
    )
    return closure


@transaction.atomic
def slot_length_set(*, actor: Actor, kind: str, minutes: int) -> SlotLength:
    """Set how long one kind of appointment lasts at this site (a whole number of 15-minute slots)."""
    actor.require(Permission.SCHEDULE_MANAGE)
    if kind not in KINDS:
        raise InvalidInput([("kind", "is not a kind of appointment")])
    if not 15 <= minutes <= 720 or minutes % 15:
        raise InvalidInput([("minutes", "give 15 to 720 minutes, in steps of 15")])
    row = SlotLength.objects.select_for_update().filter(site=actor.site, kind=kind).first()
    before = row.minutes if row else KINDS[kind].default_minutes
    if row is None:
        row = SlotLength.objects.create(site=actor.site, kind=kind, minutes=minutes)
    else:
        row.minutes = minutes
        row.save()
    audit_record(
        actor=actor,
        action="schedule.slot_length_set",
        object_type="schedule_slot_length",
        object_id=kind,
        changes={"minutes": [before, minutes]},
    )
    return row


@transaction.atomic
def feed_token_rotate(*, actor: Actor, resource: Resource) -> str:
    """A new secret for the resource's calendar-feed address; the old address stops working. Shown once."""
    actor.require(Permission.SCHEDULE_MANAGE)
    locked = _own(actor, resource)
    token = secrets.token_urlsafe(24)
    locked.feed_token_hash = feed_token_digest(token)
    locked.save()
    _audit(actor, "schedule.feed_rotate", locked, {"feed": [None, "new address"]})
    return token


@transaction.atomic
def feed_token_revoke(*, actor: Actor, resource: Resource) -> Resource:
    """Switch the resource's calendar feed off: its address answers 404 from now on."""
    actor.require(Permission.SCHEDULE_MANAGE)
    locked = _own(actor, resource)
    if locked.feed_token_hash:
        locked.feed_token_hash = ""
        locked.save()
        _audit(actor, "schedule.feed_revoke", locked, {"feed": ["on", "off"]})
    return locked
