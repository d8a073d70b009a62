"""Reads of the calendar, scoped to the actor's site: resources, appointments, windows, the booked procedure day."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site
from handregen.accounts.roles import Permission
from handregen.errors import NotFound
from handregen.outcomes.models import FollowUp
from handregen.outcomes.schedule import schedule
from handregen.pathway.models import Episode
from handregen.scheduling.models import Appointment, Closure, Resource, SlotLength, WorkingHours
from handregen.scheduling.slots import KINDS, Hours

ACTIVE = ("booked", "attended", "no_show")  # appointments that still hold their time


def resources_of(*, actor: Actor, kind: str | None = None, active_only: bool = True) -> QuerySet[Resource]:
    """The site's bookable resources, clinicians first, by name."""
    if not actor.can(Permission.SCHEDULE_MANAGE):
        actor.require(Permission.PATIENT_VIEW)
    found = Resource.objects.filter(site=actor.site)
    if kind:
        found = found.filter(kind=kind)
    if active_only:
        found = found.filter(active=True)
    return found.order_by("kind", "name")


def resource_get(*, actor: Actor, resource_id: uuid.UUID | str) -> Resource:
    """One resource of the actor's site; another site's is NotFound, never Forbidden."""
    if not actor.can(Permission.SCHEDULE_MANAGE):
        actor.require(Permission.PATIENT_VIEW)
    try:
        return Resource.objects.get(pk=resource_id, site=actor.site)
    except (Resource.DoesNotExist, ValueError) as exc:
        raise NotFound("resource") from exc


def appointment_get(*, actor: Actor, appointment_id: uuid.UUID | str) -> Appointment:
    actor.require(Permission.PATIENT_VIEW)
    try:
        return _with_people(Appointment.objects.filter(site=actor.site)).get(pk=appointment_id)
    except (Appointment.DoesNotExist, ValueError) as exc:
        raise NotFound("appointment") from exc


def _with_people(found: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return found.select_related("patient", "episode", "clinician", "room", "lab")


def appointments_of(
    *,
    actor: Actor,
    episode: Episode | None = None,
    resource: Resource | None = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
    include_cancelled: bool = False,
) -> QuerySet[Appointment]:
    """Appointments of the site, optionally of one episode or one resource and in a time range, by start."""
    actor.require(Permission.PATIENT_VIEW)
    found = Appointment.objects.filter(site=actor.site)
    if episode is not None:
        found = found.filter(episode_id=episode.pk)
    if resource is not None:
        field = {"clinician": "clinician", "room": "room", "lab": "lab"}[resource.kind]
        found = found.filter(**{field: resource})
    if starts_from is not None:
        found = found.filter(starts_at__gte=starts_from)
    if starts_before is not None:
        found = found.filter(starts_at__lt=starts_before)
    if not include_cancelled:
        found = found.filter(status__in=ACTIVE)
    return _with_people(found).order_by("starts_at")


def day_bounds(site: Site, day: date) -> tuple[datetime, datetime]:
    """The first and last moment (exclusive) of a local calendar day at the site, as aware datetimes."""
    zone = site.zone
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def booked_procedure_day(*, episode: Episode) -> Appointment | None:
    """The procedure day booked for the episode's current treatment cycle, if any (not cancelled)."""
    return (
        Appointment.objects.filter(
            episode_id=episode.pk, site_id=episode.site_id, cycle=episode.cycle, kind="procedure_day", status__in=ACTIVE
        )
        .order_by("-starts_at")
        .first()
    )


def booked_procedure_date(*, episode: Episode) -> date | None:
    """The local date of the booked procedure day, which the preparation instructions count back from."""
    booked = booked_procedure_day(episode=episode)
    if booked is None:
        return None
    return booked.starts_at.astimezone(episode.site.zone).date()


def next_appointment_of(*, patient_id: Any, site: Site, now: datetime) -> Appointment | None:
    """The patient's next booked appointment (for their own page)."""
    return (
        Appointment.objects.filter(patient_id=patient_id, site=site, status="booked", starts_at__gte=now)
        .select_related("room")
        .order_by("starts_at")
        .first()
    )


def slot_minutes(*, site: Site, kind: str) -> int:
    row = SlotLength.objects.filter(site=site, kind=kind).first()
    return row.minutes if row else KINDS[kind].default_minutes


def hours_on(*, resource: Resource, weekday: int) -> Hours | None:
    row = WorkingHours.objects.filter(resource=resource, weekday=weekday).first()
    return Hours(row.opens, row.closes) if row else None


def closure_on(*, site: Site, resource: Resource, day: date) -> Closure | None:
    """A closure of the resource, or of the whole site, covering `day`."""
    return (
        Closure.objects.filter(site=site, starts_on__lte=day, ends_on__gte=day).filter(resource__isnull=True).first()
        or Closure.objects.filter(site=site, resource=resource, starts_on__lte=day, ends_on__gte=day).first()
    )


@dataclass(frozen=True)
class Window:
    code: str
    label: str
    due_on: date
    due_from: date
    due_until: date
    planned: bool  # counted from the booked procedure day, before the injection is recorded


def follow_up_windows(*, episode: Episode) -> list[Window]:
    """Each follow-up visit's window in the current cycle: from the scheduled follow-ups once the injection is
    recorded, before that from the booked procedure day. Empty when neither exists yet."""
    scheduled = FollowUp.objects.filter(
        episode_id=episode.pk, cycle=episode.cycle, superseded_at__isnull=True, due_from__isnull=False
    ).order_by("due_on")
    if scheduled:
        return [Window(f.timepoint, f.label, f.due_on, f.due_from, f.due_until, False) for f in scheduled]
    procedure_on = booked_procedure_date(episode=episode)
    if procedure_on is None:
        return []
    return [
        Window(p.code, p.label, p.due_on, p.due_from, p.due_until, True)
        for p in schedule(procedure_on, episode.protocol.definition.follow_up)
    ]


def closures_ahead(*, site: Site, today: date) -> QuerySet[Closure]:
    return Closure.objects.filter(site=site, ends_on__gte=today).select_related("resource").order_by("starts_on")


def resource_for_feed(*, resource_id: uuid.UUID, token_digest: str) -> Resource | None:
    """The resource whose feed secret hashes to `token_digest`; None for a wrong, revoked or unknown one."""
    import hmac

    found = Resource.objects.filter(pk=resource_id, active=True).exclude(feed_token_hash="").first()
    if found is None or not hmac.compare_digest(found.feed_token_hash, token_digest):
        return None
    return found


def feed_appointments(*, resource: Resource, since: datetime) -> QuerySet[Appointment]:
    """A feed's appointments: from `since` on, cancelled ones included so that calendar apps remove them."""
    field = {"clinician": "clinician", "room": "room", "lab": "lab"}[resource.kind]
    return _with_people(
        Appointment.objects.filter(site_id=resource.site_id, starts_at__gte=since, **{field: resource})
    ).order_by("starts_at")
