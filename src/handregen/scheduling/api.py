"""REST endpoints for appointments: list, read, book, move (versioned) and cancel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from handregen.accounts.actor import Actor, actor_of
from handregen.api_inputs import IsoDateTime
from handregen.audit.services import access_record
from handregen.errors import InvalidInput, NotFound
from handregen.pathway import selectors as pathway_selectors
from handregen.problem import problem
from handregen.scheduling import selectors, services
from handregen.scheduling.models import Appointment, Resource
from handregen.scheduling.slots import STATUS_LABELS

router = Router(tags=["appointments"])

Kind = Literal["consultation", "procedure_day", "follow_up", "grip_strength"]


class AppointmentIn(Schema):
    episode_id: uuid.UUID
    kind: Kind = Field(
        description="consultation, procedure_day (harvest and injection the same day), follow_up or grip_strength"
    )
    starts_at: IsoDateTime = Field(
        description="Start, with its UTC offset, on the quarter hour; a procedure day starts with the harvest"
    )
    clinician_id: uuid.UUID
    room_id: uuid.UUID
    lab_id: uuid.UUID | None = Field(None, description="Procedure day only; the site's cell lab when left out")
    timepoint: str = Field("", max_length=32, description="Follow-up visit: the protocol's time point (e.g. w6)")
    injection_at: IsoDateTime | None = Field(
        None,
        description="Procedure day: the booked injection (default "
        "three hours after the start); refused after the product expires",
    )
    tentative: bool = Field(False, description="Hold a procedure day before consent (marked tentative)")
    outside_window_reason: str = Field(
        "", max_length=2000, description="Why a follow-up visit is booked outside its window (needed then)"
    )


class RescheduleIn(Schema):
    version: int = Field(description="The version you read: someone else's change meanwhile → 409 with both")
    starts_at: IsoDateTime
    reason: str = Field(min_length=1, max_length=2000)
    clinician_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    injection_at: IsoDateTime | None = None
    outside_window_reason: str = Field("", max_length=2000)


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)
    version: int | None = Field(None, description="The version you read (optional)")


class AppointmentOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    patient_id: uuid.UUID
    kind: str
    kind_label: str
    timepoint: str
    timepoint_label: str
    starts_at: datetime
    ends_at: datetime
    injection_at: datetime | None
    clinician: str
    clinician_id: uuid.UUID
    room: str
    room_id: uuid.UUID
    lab: str | None
    status: str
    status_label: str
    tentative: bool
    outside_window_reason: str
    cancel_reason: str
    version: int


class AppointmentList(Schema):
    items: list[AppointmentOut]
    count: int


class AppointmentQuery(Schema):
    episode_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None
    starts_from: IsoDateTime | None = None
    starts_before: IsoDateTime | None = None
    include_cancelled: bool = False


def appointment_out(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.pk,
        "episode_id": appointment.episode_id,
        "patient_id": appointment.patient_id,
        "kind": appointment.kind,
        "kind_label": appointment.kind_label,
        "timepoint": appointment.timepoint,
        "timepoint_label": appointment.timepoint_label,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "injection_at": appointment.injection_at,
        "clinician": appointment.clinician.name,
        "clinician_id": appointment.clinician_id,
        "room": appointment.room.name,
        "room_id": appointment.room_id,
        "lab": appointment.lab.name if appointment.lab else None,
        "status": appointment.status,
        "status_label": STATUS_LABELS[appointment.status],
        "tentative": appointment.tentative,
        "outside_window_reason": appointment.outside_window_reason,
        "cancel_reason": appointment.cancel_reason,
        "version": appointment.version,
    }


@router.get("", response=AppointmentList, summary="Appointments of the site (of an episode, of a resource, a range)")
def appointment_list(request: HttpRequest, query: Query[AppointmentQuery]) -> dict[str, Any]:
    """A filter naming an episode or resource of another site (or none) matches nothing: an empty list."""
    actor = actor_of(request)
    found = selectors.appointments_of(
        actor=actor,
        starts_from=query.starts_from,
        starts_before=query.starts_before,
        include_cancelled=query.include_cancelled,
    )
    if query.episode_id:
        found = found.filter(episode_id=query.episode_id)
    if query.resource_id:
        found = found.filter(
            Q(clinician_id=query.resource_id) | Q(room_id=query.resource_id) | Q(lab_id=query.resource_id)
        )
    rows = list(found[:500])
    for patient_id in {a.patient_id for a in rows}:
        access_record(actor=actor, patient_id=patient_id, category="appointments", channel="api")
    return {"items": [appointment_out(a) for a in rows], "count": len(rows)}


@router.get("/{appointment_id}", response=AppointmentOut, summary="One appointment")
def appointment_detail(request: HttpRequest, appointment_id: uuid.UUID) -> dict[str, Any]:
    return appointment_out(selectors.appointment_get(actor=actor_of(request), appointment_id=appointment_id))


@router.post("", response={201: AppointmentOut}, summary="Book an appointment (409 naming the rule when refused)")
def appointment_create(request: HttpRequest, payload: AppointmentIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=payload.episode_id, channel="api")
    booked = services.appointment_book(
        actor=actor,
        episode=episode,
        kind=payload.kind,
        starts_at=payload.starts_at,
        clinician=_site_resource(actor, payload.clinician_id, "clinician_id"),
        room=_site_resource(actor, payload.room_id, "room_id"),
        lab=_named_resource(actor, payload.lab_id, "lab_id"),
        timepoint=payload.timepoint,
        injection_at=payload.injection_at,
        tentative=payload.tentative,
        outside_window_reason=payload.outside_window_reason,
    )
    return Status(201, appointment_out(selectors.appointment_get(actor=actor, appointment_id=booked.pk)))


@router.post(
    "/{appointment_id}/reschedule",
    response=AppointmentOut,
    summary="Move an appointment; a stale version → 409 with your version and the current one",
)
def appointment_move(request: HttpRequest, appointment_id: uuid.UUID, payload: RescheduleIn) -> Any:
    actor = actor_of(request)
    appointment = selectors.appointment_get(actor=actor, appointment_id=appointment_id)
    try:
        moved = services.appointment_reschedule(
            actor=actor,
            appointment=appointment,
            starts_at=payload.starts_at,
            reason=payload.reason,
            version=payload.version,
            clinician=_named_resource(actor, payload.clinician_id, "clinician_id"),
            room=_named_resource(actor, payload.room_id, "room_id"),
            injection_at=payload.injection_at,
            outside_window_reason=payload.outside_window_reason,
        )
    except services.StaleAppointment as stale:
        return _conflict(request, stale)
    return appointment_out(selectors.appointment_get(actor=actor, appointment_id=moved.pk))


@router.post("/{appointment_id}/cancel", response=AppointmentOut, summary="Cancel an appointment with a reason")
def appointment_cancel(request: HttpRequest, appointment_id: uuid.UUID, payload: CancelIn) -> Any:
    actor = actor_of(request)
    appointment = selectors.appointment_get(actor=actor, appointment_id=appointment_id)
    try:
        cancelled = services.appointment_cancel(
            actor=actor, appointment=appointment, reason=payload.reason, version=payload.version
        )
    except services.StaleAppointment as stale:
        return _conflict(request, stale)
    return appointment_out(selectors.appointment_get(actor=actor, appointment_id=cancelled.pk))


def _named_resource(actor: Actor, resource_id: uuid.UUID | None, field: str) -> Resource | None:
    return None if resource_id is None else _site_resource(actor, resource_id, field)


def _site_resource(actor: Actor, resource_id: uuid.UUID, field: str) -> Resource:
    """A resource the body names: one this site does not have is invalid input naming the field (422)."""
    try:
        return selectors.resource_get(actor=actor, resource_id=resource_id)
    except NotFound as exc:
        raise InvalidInput([(field, "is not a clinician, room or lab of this site")]) from exc


def _conflict(request: HttpRequest, stale: services.StaleAppointment) -> HttpResponse:
    return problem(
        request,
        409,
        "Conflict",
        "Someone changed this appointment meanwhile.",
        reasons=stale.reasons,
        current=stale.current,
        yours=stale.yours,
    )
