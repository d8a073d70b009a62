"""Booking, moving and cancelling appointments; every write audited, every refusal a rule in plain words.

Double booking is refused twice: first by reading the holds (to name who is busy), then by the database's
unique index on active slot holds, which also decides between two bookings that read at the same moment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.cellproducts.models import CellProduct
from handregen.consent.selectors import consent_refusals
from handregen.errors import GuardRefused, InvalidInput, NotFound
from handregen.pathway.models import Episode
from handregen.pathway.services import episode_lock
from handregen.pathway.stages import CLOSED_STAGES, STAGE_LABELS, Stage
from handregen.scheduling import selectors
from handregen.scheduling.messages import send_after_commit
from handregen.scheduling.models import Appointment, Resource, SlotHold
from handregen.scheduling.slots import (
    DEFAULT_INJECTION_AFTER,
    KINDS,
    ROOM_KINDS,
    expiry_refusal,
    hours_refusal,
    is_on_grid,
    lab_day_key,
    slots_covering,
    window_refusal,
)

FIRM_PROCEDURE_STAGES = frozenset({Stage.CONSENTED, Stage.PREPARED})
TENTATIVE_PROCEDURE_STAGES = frozenset({Stage.REFERRED, Stage.CONSULTED, Stage.ELIGIBLE, Stage.DEFERRED})
PROCEDURE_RULE = (
    "A procedure day is booked only once the patient is eligible and has signed a valid consent; "
    "until then it can be held tentatively."
)


class StaleAppointment(GuardRefused):
    """Someone changed the appointment since the caller read it: both versions go back to the caller."""

    def __init__(self, *, current: dict[str, Any], yours: dict[str, Any]):
        super().__init__(
            [
                f"Someone changed this appointment meanwhile (it is now version {current['version']}, you changed "
                f"version {yours['version']}); reload it and make your change again."
            ]
        )
        self.current = current
        self.yours = yours


def appointment_state(appointment: Appointment) -> dict[str, Any]:
    """What a conflict shows of one version of an appointment."""
    return {
        "version": appointment.version,
        "status": appointment.status,
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
        "clinician": appointment.clinician.name,
        "room": appointment.room.name,
    }


def _own_resources(actor: Actor, *resources: Resource | None) -> None:
    """Another site's resource is not found here, whatever the caller passed."""
    if any(r is not None and r.site_id != actor.site.pk for r in resources):
        raise NotFound("resource")


def _default_lab(actor: Actor) -> Resource | None:
    return Resource.objects.filter(site=actor.site, kind="lab", active=True).order_by("name").first()


def _resource_refusals(kind: str, clinician: Resource, room: Resource, lab: Resource | None) -> list[str]:
    spec = KINDS[kind]
    reasons: list[str] = []
    if clinician.kind != "clinician":
        reasons.append(f"{clinician.name} is not a clinician.")
    if room.kind != "room" or room.room_kind not in spec.room_kinds:
        wanted = " or ".join(ROOM_KINDS[r].lower() for r in sorted(spec.room_kinds))
        reasons.append(f"A {spec.label.lower()} needs a {wanted}; {room.name} is not one.")
    if spec.needs_lab and (lab is None or lab.kind != "lab"):
        reasons.append("A procedure day needs a processing place in the cell lab, and no cell lab is set up.")
    for resource in (clinician, room, lab):
        if resource is not None and not resource.active:
            reasons.append(f"{resource.name} is not taking bookings.")
    return reasons


def _time_refusals(actor: Actor, starts_at: datetime, ends_at: datetime, resources: list[Resource]) -> list[str]:
    zone = actor.site.zone
    local_start, local_end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    day = local_start.date()
    if local_end.date() != day and local_end.time() != datetime.min.time():
        return ["An appointment must start and end on the same day."]
    reasons: list[str] = []
    for resource in resources:
        refusal = hours_refusal(
            name=resource.name,
            day=day,
            start=local_start.time(),
            end=local_end.time(),
            hours=selectors.hours_on(resource=resource, weekday=day.weekday()),
            whole_day=resource.kind == "lab",
        )
        if refusal:
            reasons.append(refusal)
        closure = selectors.closure_on(site=actor.site, resource=resource, day=day)
        if closure is not None:
            what = "The clinic" if closure.resource_id is None else resource.name
            reasons.append(f"{what} is closed on {day:%-d %b %Y} ({closure.reason}).")
    return reasons


def _busy_refusals(
    actor: Actor, starts_at: datetime, ends_at: datetime, people: list[Resource], lab: Resource | None
) -> list[str]:
    zone = actor.site.zone
    slots = slots_covering(starts_at, ends_at)
    reasons: list[str] = []
    for resource in people:
        taken = SlotHold.objects.filter(resource=resource, slot__in=slots, released_at__isnull=True).order_by("slot")
        first = taken.first()
        if first is not None:
            reasons.append(
                f"{resource.name} is already booked at {first.slot.astimezone(zone):%H:%M} on "
                f"{first.slot.astimezone(zone):%-d %b %Y}; a resource cannot be booked twice."
            )
    if lab is not None:
        day = starts_at.astimezone(zone).date()
        used = SlotHold.objects.filter(resource=lab, slot=_lab_slot(day), released_at__isnull=True).count()
        if used >= lab.daily_capacity:
            reasons.append(
                f"{lab.name} has no processing place left on {day:%-d %b %Y} (it processes {lab.daily_capacity} a day)."
            )
    return reasons


def _lab_slot(day: date) -> datetime:
    return lab_day_key(day).replace(tzinfo=UTC)


def _hold(actor: Actor, appointment: Appointment) -> None:
    """Write the slot holds; a clash the database finds (a booking that won the race) is a refusal."""
    rows = [
        SlotHold(resource=resource, appointment=appointment, slot=slot)
        for resource in (appointment.clinician, appointment.room)
        for slot in slots_covering(appointment.starts_at, appointment.ends_at)
    ]
    try:
        with transaction.atomic():
            for row in rows:
                row.save()
    except IntegrityError as exc:
        raise GuardRefused(
            [
                "Someone else booked this time a moment ago: a clinician or room cannot be booked twice. "
                "Choose another time."
            ]
        ) from exc
    if appointment.lab is not None:
        _hold_lab_place(actor, appointment, appointment.lab)


def _hold_lab_place(actor: Actor, appointment: Appointment, lab: Resource) -> None:
    """Take the lowest free processing place of the day; a place taken meanwhile sends us to the next one."""
    day = appointment.starts_at.astimezone(actor.site.zone).date()
    key = _lab_slot(day)
    for _ in range(lab.daily_capacity):
        taken = set(
            SlotHold.objects.filter(resource=lab, slot=key, released_at__isnull=True).values_list("place", flat=True)
        )
        free = [p for p in range(1, lab.daily_capacity + 1) if p not in taken]
        if not free:
            break
        try:
            with transaction.atomic():
                SlotHold(resource=lab, appointment=appointment, slot=key, place=free[0]).save()
            return
        except IntegrityError:
            continue
    raise GuardRefused(
        [
            f"{lab.name} has no processing place left on {day:%-d %b %Y} (it processes "
            f"{lab.daily_capacity} a day); someone else booked the last one a moment ago."
        ]
    )


def _release(appointment: Appointment, now: datetime) -> None:
    for hold in SlotHold.objects.filter(appointment=appointment, released_at__isnull=True):
        hold.released_at = now
        hold.version += 1
        hold.save()


def _procedure_refusals(episode: Episode, tentative: bool) -> tuple[list[str], bool]:
    """Whether a procedure day may be booked now, and whether it is tentative."""
    stage = Stage(episode.stage)
    if stage in FIRM_PROCEDURE_STAGES:
        consent = consent_refusals(episode=episode)
        if not consent:
            return [], False
        if tentative:
            return [], True
        return [PROCEDURE_RULE, *consent], False
    if stage in TENTATIVE_PROCEDURE_STAGES:
        if tentative:
            return [], True
        return [f"{PROCEDURE_RULE} The patient is now: {STAGE_LABELS[stage].lower()}."], False
    return [f"A procedure day cannot be booked at this stage ({STAGE_LABELS[stage].lower()})."], False


def _injection_refusals(episode: Episode, starts_at: datetime, ends_at: datetime, injection_at: datetime) -> list[str]:
    reasons: list[str] = []
    if not starts_at <= injection_at <= ends_at:
        reasons.append("The injection must be booked within the procedure day's time.")
    expiry = expiry_refusal(
        harvest_at=starts_at,
        injection_at=injection_at,
        expiry_hours=episode.protocol.definition.expiry_hours_after_harvest,
    )
    if expiry:
        reasons.append(expiry)
    product = CellProduct.objects.filter(episode_id=episode.pk, cycle=episode.cycle).order_by("-collected_at").first()
    if product is not None and product.expires_at < injection_at:
        zone = episode.site.zone
        reasons.append(
            f"The harvested product expires at {product.expires_at.astimezone(zone):%-d %b %Y %H:%M}, "
            "before the booked injection."
        )
    return reasons


def _kind_refusals(
    *, episode: Episode, kind: str, starts_at: datetime, timepoint: str, outside_window_reason: str
) -> list[str]:
    if kind != "follow_up":
        return []
    windows = {w.code: w for w in selectors.follow_up_windows(episode=episode)}
    if not windows:
        return ["Book the procedure day first: the follow-up windows count from it."]
    window = windows.get(timepoint)
    if window is None:
        return [f"Choose the follow-up time point: {', '.join(w.label for w in windows.values())}."]
    refusal = window_refusal(
        label=window.label,
        day=starts_at.astimezone(episode.site.zone).date(),
        due_from=window.due_from,
        due_until=window.due_until,
        reason=outside_window_reason,
    )
    return [refusal] if refusal else []


def _timepoint_label(episode: Episode, timepoint: str) -> str:
    return next((w.label for w in selectors.follow_up_windows(episode=episode) if w.code == timepoint), "")


def _input_errors(kind: str, starts_at: datetime, now: datetime) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    if kind not in KINDS:
        errors.append(("kind", "is not a kind of appointment"))
    if timezone.is_naive(starts_at):
        errors.append(("starts_at", "give the time with its time zone"))
    elif not is_on_grid(starts_at):
        errors.append(("starts_at", "appointments start on the quarter hour"))
    elif starts_at < now:
        errors.append(("starts_at", "is in the past"))
    return errors


@transaction.atomic
def appointment_book(
    *,
    actor: Actor,
    episode: Episode | Any,
    kind: str,
    starts_at: datetime,
    clinician: Resource,
    room: Resource,
    lab: Resource | None = None,
    timepoint: str = "",
    injection_at: datetime | None = None,
    tentative: bool = False,
    outside_window_reason: str = "",
) -> Appointment:
    """Book one appointment of the episode's patient; refused with the rule when it cannot be."""
    actor.require(Permission.APPOINTMENT_BOOK)
    now = timezone.now()
    if isinstance(starts_at, datetime) and timezone.is_naive(starts_at):
        raise InvalidInput([("starts_at", "give the time with its time zone")])
    errors = _input_errors(kind, starts_at, now)
    if errors:
        raise InvalidInput(errors)
    locked = episode_lock(actor=actor, episode=episode)
    _own_resources(actor, clinician, room, lab)
    spec = KINDS[kind]
    if spec.needs_lab and lab is None:
        lab = _default_lab(actor)
    if not spec.needs_lab:
        lab = None
    ends_at = starts_at + timedelta(minutes=selectors.slot_minutes(site=actor.site, kind=kind))
    reasons: list[str] = []
    if locked.stage in CLOSED_STAGES:
        reasons.append(f"The episode is closed ({STAGE_LABELS[Stage(locked.stage)].lower()}); nothing can be booked.")
    is_tentative = False
    if kind == "procedure_day":
        procedure, is_tentative = _procedure_refusals(locked, tentative)
        reasons += procedure
        injection_at = injection_at or starts_at + DEFAULT_INJECTION_AFTER
        reasons += _injection_refusals(locked, starts_at, ends_at, injection_at)
    else:
        injection_at = None
    if (
        kind in ("consultation", "procedure_day")
        and Appointment.objects.filter(episode=locked, cycle=locked.cycle, kind=kind, status="booked").exists()
    ):
        reasons.append(f"A {spec.label.lower()} is already booked for this patient; move it instead.")
    if (
        kind == "follow_up"
        and Appointment.objects.filter(
            episode=locked, cycle=locked.cycle, kind=kind, timepoint=timepoint, status="booked"
        ).exists()
    ):
        reasons.append("This follow-up visit is already booked; move it instead.")
    reasons += _kind_refusals(
        episode=locked, kind=kind, starts_at=starts_at, timepoint=timepoint, outside_window_reason=outside_window_reason
    )
    reasons += _resource_refusals(kind, clinician, room, lab)
    if not reasons:
        resources = [r for r in (clinician, room, lab) if r is not None]
        reasons += _time_refusals(actor, starts_at, ends_at, resources)
        reasons += _busy_refusals(actor, starts_at, ends_at, [clinician, room], lab)
    if reasons:
        raise GuardRefused(reasons)
    appointment = Appointment.objects.create(
        site=actor.site,
        patient=locked.patient,
        episode=locked,
        cycle=locked.cycle,
        kind=kind,
        timepoint=timepoint if kind == "follow_up" else "",
        starts_at=starts_at,
        ends_at=ends_at,
        timepoint_label=_timepoint_label(locked, timepoint) if kind == "follow_up" else "",
        injection_at=injection_at,
        clinician=clinician,
        room=room,
        lab=lab,
        tentative=is_tentative,
        outside_window_reason=outside_window_reason.strip(),
        booked_by=actor.user,
        booked_at=now,
    )
    _hold(actor, appointment)
    audit_record(
        actor=actor,
        action="appointment.book",
        object_type="appointment",
        object_id=appointment.pk,
        changes={
            "kind": [None, kind],
            "starts_at": [None, starts_at],
            "ends_at": [None, ends_at],
            "clinician": [None, clinician.name],
            "room": [None, room.name],
            "lab": [None, lab.name if lab else None],
            "tentative": [None, is_tentative],
            "timepoint": [None, appointment.timepoint_label or None],
            "injection_at": [None, injection_at],
        },
        reason=appointment.outside_window_reason,
        patient_id=locked.patient_id,
        episode_id=locked.pk,
    )
    send_after_commit(appointment, "booked")
    return appointment


def _lock_appointment(actor: Actor, appointment: Appointment | Any) -> Appointment:
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    try:
        return (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("clinician", "room", "lab")
            .get(pk=pk, site=actor.site)
        )
    except (Appointment.DoesNotExist, ValueError) as exc:
        raise NotFound("appointment") from exc


def _check_version(current: Appointment, version: int | None, yours: dict[str, Any]) -> None:
    if version is not None and current.version != version:
        raise StaleAppointment(current=appointment_state(current), yours={"version": version} | yours)


@transaction.atomic
def appointment_reschedule(
    *,
    actor: Actor,
    appointment: Appointment | Any,
    starts_at: datetime,
    reason: str,
    version: int | None = None,
    clinician: Resource | None = None,
    room: Resource | None = None,
    injection_at: datetime | None = None,
    outside_window_reason: str = "",
) -> Appointment:
    """Move a booked appointment to another time (and optionally clinician or room); the patient is told.

    `version` is the version the caller read: a different current version is a conflict showing both.
    """
    actor.require(Permission.APPOINTMENT_BOOK)
    now = timezone.now()
    current = _lock_appointment(actor, appointment)
    yours = {"starts_at": starts_at.isoformat() if isinstance(starts_at, datetime) else str(starts_at)}
    _check_version(current, version, yours)
    errors = _input_errors(current.kind, starts_at, now)
    if not reason.strip():
        errors.append(("reason", "say why the appointment moves"))
    if errors:
        raise InvalidInput(errors)
    _own_resources(actor, clinician, room)
    clinician = clinician or current.clinician
    room = room or current.room
    episode = episode_lock(actor=actor, episode=current.episode_id)
    reasons: list[str] = []
    if current.status != "booked":
        reasons.append(f"Only a booked appointment can be moved; this one is {current.get_status_display().lower()}.")
    ends_at = starts_at + (current.ends_at - current.starts_at)
    if current.kind == "procedure_day":
        if episode.stage not in FIRM_PROCEDURE_STAGES | TENTATIVE_PROCEDURE_STAGES:
            reasons.append(f"The procedure day cannot move now ({STAGE_LABELS[Stage(episode.stage)].lower()}).")
        offset = (current.injection_at or current.starts_at + DEFAULT_INJECTION_AFTER) - current.starts_at
        injection_at = injection_at or starts_at + offset
        reasons += _injection_refusals(episode, starts_at, ends_at, injection_at)
    else:
        injection_at = None
    reasons += _kind_refusals(
        episode=episode,
        kind=current.kind,
        starts_at=starts_at,
        timepoint=current.timepoint,
        outside_window_reason=outside_window_reason or current.outside_window_reason,
    )
    reasons += _resource_refusals(current.kind, clinician, room, current.lab)
    if reasons:
        raise GuardRefused(reasons)
    before = appointment_state(current)
    _release(current, now)  # the appointment's own slots are free for its new time
    resources = [r for r in (clinician, room, current.lab) if r is not None]
    reasons = _time_refusals(actor, starts_at, ends_at, resources)
    reasons += _busy_refusals(actor, starts_at, ends_at, [clinician, room], current.lab)
    if reasons:
        raise GuardRefused(reasons)
    old_start = current.starts_at
    current.starts_at, current.ends_at, current.injection_at = starts_at, ends_at, injection_at
    current.clinician, current.room = clinician, room
    if outside_window_reason.strip():
        current.outside_window_reason = outside_window_reason.strip()
    if current.tentative and current.kind == "procedure_day":
        current.tentative = bool(_procedure_refusals(episode, True)[1])
    current.version += 1
    current.save()
    _hold(actor, current)
    after = appointment_state(current)
    audit_record(
        actor=actor,
        action="appointment.reschedule",
        object_type="appointment",
        object_id=current.pk,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]}
        | ({"injection_at": [None, injection_at]} if injection_at else {}),
        reason=reason.strip(),
        patient_id=current.patient_id,
        episode_id=current.episode_id,
    )
    send_after_commit(current, "moved", previous_start=old_start)
    return current


@transaction.atomic
def appointment_cancel(
    *, actor: Actor, appointment: Appointment | Any, reason: str, version: int | None = None
) -> Appointment:
    """Cancel a booked appointment with a reason; its slots are free again and the patient is told."""
    actor.require(Permission.APPOINTMENT_BOOK)
    now = timezone.now()
    current = _lock_appointment(actor, appointment)
    _check_version(current, version, {"status": "cancelled"})
    if not reason.strip():
        raise InvalidInput([("reason", "say why the appointment is cancelled")])
    if current.status != "booked":
        raise GuardRefused(
            [f"Only a booked appointment can be cancelled; this one is {current.get_status_display().lower()}."]
        )
    _release(current, now)
    current.status, current.cancelled_at, current.cancel_reason = "cancelled", now, reason.strip()
    current.version += 1
    current.save()
    audit_record(
        actor=actor,
        action="appointment.cancel",
        object_type="appointment",
        object_id=current.pk,
        changes={"status": ["booked", "cancelled"], "starts_at": [current.starts_at, None]},
        reason=current.cancel_reason,
        patient_id=current.patient_id,
        episode_id=current.episode_id,
    )
    send_after_commit(current, "cancelled")
    return current


@transaction.atomic
def appointment_attendance(*, actor: Actor, appointment: Appointment | Any, attended: bool) -> Appointment:
    """Record whether the patient came (a no-show keeps its slots: the time was lost)."""
    actor.require(Permission.APPOINTMENT_BOOK)
    current = _lock_appointment(actor, appointment)
    if current.status != "booked":
        raise GuardRefused(
            [
                f"Attendance is recorded once, on a booked appointment; this one is "
                f"{current.get_status_display().lower()}."
            ]
        )
    if current.starts_at > timezone.now():
        raise GuardRefused(["Attendance can be recorded once the appointment has started."])
    status = "attended" if attended else "no_show"
    current.status = status
    current.version += 1
    current.save()
    audit_record(
        actor=actor,
        action="appointment.attendance",
        object_type="appointment",
        object_id=current.pk,
        changes={"status": ["booked", status]},
        patient_id=current.patient_id,
        episode_id=current.episode_id,
    )
    return current
