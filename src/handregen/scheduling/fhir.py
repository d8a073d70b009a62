"""FHIR R4 `Appointment`, `Schedule` and `Slot`: read and search, site-scoped (kept apart from interop's search).

A Schedule is one bookable resource (clinician, room, cell lab); a Slot is one held (busy) slot of it. Free time
is not published as Slots: it follows from the hours, closures and holds, and the booking API decides it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.schedule import Schedule as FhirSchedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from handregen.accounts.actor import Actor
from handregen.audit.services import access_record
from handregen.interop.fhir.builders import validated
from handregen.interop.fhir.views import bundle, fhir_actor, fhir_response, outcome
from handregen.scheduling.models import Appointment, Resource, SlotHold
from handregen.scheduling.slots import RESOURCE_KINDS, ROOM_KINDS, SLOT_MINUTES

FHIR_STATUS = {"booked": "booked", "cancelled": "cancelled", "attended": "fulfilled", "no_show": "noshow"}
SEARCH_LIMIT = 500


def _searchset(request: HttpRequest, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return bundle(request, entries, total=len(entries))


def appointment_resource(appointment: Appointment) -> dict[str, Any]:
    status = "pending" if appointment.tentative and appointment.status == "booked" else FHIR_STATUS[appointment.status]
    data: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "meta": {"versionId": str(appointment.version)},
        "status": status,
        "appointmentType": {"text": appointment.kind_label},
        "description": appointment.kind_label
        + (f" ({appointment.timepoint_label})" if appointment.timepoint_label else ""),
        "start": appointment.starts_at.isoformat(),
        "end": appointment.ends_at.isoformat(),
        "created": appointment.booked_at.isoformat(),
        "participant": [
            {"actor": {"reference": f"Patient/{appointment.patient_id}"}, "status": "accepted"},
            {"actor": {"display": appointment.clinician.name}, "status": "accepted"},
            {"actor": {"display": appointment.room.name}, "status": "accepted"},
        ]
        + ([{"actor": {"display": appointment.lab.name}, "status": "accepted"}] if appointment.lab else []),
    }
    if appointment.cancel_reason:
        data["cancelationReason"] = {"text": appointment.cancel_reason}
    return validated(FhirAppointment, data)


def schedule_resource(resource: Resource) -> dict[str, Any]:
    kind = ROOM_KINDS[resource.room_kind] if resource.kind == "room" else RESOURCE_KINDS[resource.kind]
    return validated(
        FhirSchedule,
        {
            "resourceType": "Schedule",
            "id": str(resource.pk),
            "active": resource.active,
            "serviceType": [{"text": kind}],
            "actor": [{"display": resource.name}],
        },
    )


def slot_resource(hold: SlotHold) -> dict[str, Any]:
    length = timedelta(days=1) if hold.place else timedelta(minutes=SLOT_MINUTES)
    return validated(
        FhirSlot,
        {
            "resourceType": "Slot",
            "id": str(hold.pk),
            "schedule": {"reference": f"Schedule/{hold.resource_id}"},
            "status": "busy",
            "start": hold.slot.isoformat(),
            "end": (hold.slot + length).isoformat(),
        },
    )


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _date_bounds(actor: Actor, values: list[str]) -> tuple[datetime | None, datetime | None] | None:
    """`date=geYYYY-MM-DD&date=ltYYYY-MM-DD` (or a bare day) as an aware range in the site's zone; None if bad."""
    zone = actor.site.zone
    low: datetime | None = None
    high: datetime | None = None
    for value in values:
        prefix, text = (value[:2], value[2:]) if value[:2] in ("ge", "gt", "le", "lt", "eq") else ("eq", value)
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            return None
        start = datetime.combine(day, time(0), tzinfo=zone)
        end = start + timedelta(days=1)
        if prefix in ("eq", "ge"):
            low = start
        if prefix == "gt":
            low = end
        if prefix in ("eq", "le"):
            high = end
        if prefix == "lt":
            high = start
    return low, high


@require_GET
@fhir_actor
def appointment_read(request: HttpRequest, actor: Actor, appointment_id: str) -> HttpResponse:
    pk = _uuid(appointment_id)
    found = (
        Appointment.objects.filter(pk=pk, site=actor.site).select_related("clinician", "room", "lab").first()
        if pk
        else None
    )
    if found is None:
        return outcome(404, "not-found", "No such Appointment here.")
    access_record(actor=actor, patient_id=found.patient_id, category="appointments", channel="fhir")
    return fhir_response(appointment_resource(found))


@require_GET
@fhir_actor
def appointment_search(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Appointment?patient=<id>&date=ge…&status=booked (the site's own appointments only)."""
    found = Appointment.objects.filter(site=actor.site).select_related("clinician", "room", "lab")
    patient = request.GET.get("patient", "")
    if patient:
        pk = _uuid(patient.removeprefix("Patient/"))
        if pk is None:
            return fhir_response(_searchset(request, []))
        found = found.filter(patient_id=pk)
    bounds = _date_bounds(actor, request.GET.getlist("date"))
    if bounds is None:
        return outcome(400, "value", "date is written YYYY-MM-DD, optionally after ge, gt, le or lt.")
    low, high = bounds
    if low:
        found = found.filter(starts_at__gte=low)
    if high:
        found = found.filter(starts_at__lt=high)
    status = request.GET.get("status")
    if status:
        found = found.filter(status__in=[k for k, v in FHIR_STATUS.items() if v == status])
    rows = list(found.order_by("starts_at")[:SEARCH_LIMIT])
    for patient_id in {a.patient_id for a in rows}:
        access_record(actor=actor, patient_id=patient_id, category="appointments", channel="fhir")
    return fhir_response(_searchset(request, [appointment_resource(a) for a in rows]))


@require_GET
@fhir_actor
def schedule_read(request: HttpRequest, actor: Actor, schedule_id: str) -> HttpResponse:
    pk = _uuid(schedule_id)
    found = Resource.objects.filter(pk=pk, site=actor.site).first() if pk else None
    if found is None:
        return outcome(404, "not-found", "No such Schedule here.")
    return fhir_response(schedule_resource(found))


@require_GET
@fhir_actor
def schedule_search(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Schedule (optionally active=true|false): the site's clinicians, rooms and cell lab."""
    found = Resource.objects.filter(site=actor.site)
    active = request.GET.get("active")
    if active in ("true", "false"):
        found = found.filter(active=active == "true")
    return fhir_response(_searchset(request, [schedule_resource(r) for r in found.order_by("kind", "name")]))


@require_GET
@fhir_actor
def slot_read(request: HttpRequest, actor: Actor, slot_id: str) -> HttpResponse:
    plausible = slot_id.isdigit() and len(slot_id) < 18
    found = SlotHold.objects.filter(pk=int(slot_id), resource__site=actor.site).first() if plausible else None
    if found is None:
        return outcome(404, "not-found", "No such Slot here.")
    return fhir_response(slot_resource(found))


@require_GET
@fhir_actor
def slot_search(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Slot?schedule=Schedule/<id>&start=ge…: the busy slots held now (released ones are history, not slots)."""
    found = SlotHold.objects.filter(resource__site=actor.site, released_at__isnull=True)
    schedule = request.GET.get("schedule", "")
    if schedule:
        pk = _uuid(schedule.removeprefix("Schedule/"))
        if pk is None:
            return fhir_response(_searchset(request, []))
        found = found.filter(resource_id=pk)
    bounds = _date_bounds(actor, request.GET.getlist("start"))
    if bounds is None:
        return outcome(400, "value", "start is written YYYY-MM-DD, optionally after ge, gt, le or lt.")
    low, high = bounds
    if low:
        found = found.filter(slot__gte=low)
    if high:
        found = found.filter(slot__lt=high)
    return fhir_response(_searchset(request, [slot_resource(h) for h in found.order_by("slot", "pk")[:SEARCH_LIMIT]]))
