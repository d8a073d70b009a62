"""The FHIR R4 read API at /fhir/R4/: bearer-token auth, site scoping, application/fhir+json."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_GET

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.accounts.selectors import actor_for_token
from handregen.audit.services import access_record
from handregen.interop.fhir.builders import BY_PATIENT, patient_resource
from handregen.interop.fhir.capability import capability_statement
from handregen.patients.models import Patient

FHIR_JSON = "application/fhir+json"


def fhir_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)


def outcome(status: int, code: str, text: str) -> HttpResponse:
    return fhir_response(
        {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]},
        status,
    )


def fhir_actor(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Require a bearer token of a role that may read patients' records; deny by default."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        header = request.headers.get("Authorization", "")
        actor = actor_for_token(header[7:]) if header.startswith("Bearer ") else None
        if actor is None:
            response = outcome(401, "login", "Send a valid bearer token.")
            response["WWW-Authenticate"] = "Bearer"
            return response
        if not actor.can(Permission.PATIENT_VIEW):
            return outcome(403, "forbidden", "This role may not read patients' records.")
        return view(request, actor, *args, **kwargs)

    return wrapper


def _patient(actor: Actor, patient_id: str) -> Patient | None:
    try:
        uuid.UUID(patient_id)
    except ValueError:
        return None
    return Patient.objects.select_related("site").filter(pk=patient_id, site=actor.site).first()


def bundle(entries: list[dict[str, Any]], kind: str = "searchset") -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": kind,
        "timestamp": timezone.now().isoformat(),
        "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in entries],
    }
    if kind == "searchset":
        body["total"] = len(entries)
    return body


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    return fhir_response(capability_statement())


@require_GET
@fhir_actor
def patient_read(request: HttpRequest, actor: Actor, patient_id: str) -> HttpResponse:
    patient = _patient(actor, patient_id)
    if patient is None:
        return outcome(404, "not-found", "No such Patient here.")
    access_record(actor=actor, patient_id=patient.pk, category="demographics", channel="fhir")
    return fhir_response(patient_resource(patient))


@require_GET
@fhir_actor
def patient_search(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Patient?identifier=[system|]value and Patient?name=text (site-scoped)."""
    unknown = sorted(set(request.GET) - {"identifier", "name", "_count"})
    if unknown:
        return outcome(400, "not-supported", f"Unsupported search parameter(s): {', '.join(unknown)}")
    patients = Patient.objects.select_related("site").filter(site=actor.site)
    identifier = request.GET.get("identifier")
    if identifier:
        value = identifier.split("|", 1)[-1]
        patients = patients.filter(mrn=value) | patients.filter(wristband_code=value)
    name = request.GET.get("name")
    if name:
        patients = patients.filter(family_name__icontains=name) | patients.filter(given_name__icontains=name)
    found = list(patients.order_by("family_name", "given_name")[:200])
    for p in found:
        access_record(actor=actor, patient_id=p.pk, category="demographics", channel="fhir")
    return fhir_response(bundle([patient_resource(p) for p in found]))


@require_GET
@fhir_actor
def patient_everything(request: HttpRequest, actor: Actor, patient_id: str) -> HttpResponse:
    patient = _patient(actor, patient_id)
    if patient is None:
        return outcome(404, "not-found", "No such Patient here.")
    access_record(actor=actor, patient_id=patient.pk, category="everything", channel="fhir")
    resources = [patient_resource(patient)]
    for build in BY_PATIENT.values():
        resources += build(patient)
    return fhir_response(bundle(resources, kind="searchset"))


@require_GET
@fhir_actor
def search_by_patient(request: HttpRequest, actor: Actor, resource_type: str) -> HttpResponse:
    """<Type>?patient=<id> for every type handregen emits."""
    build = BY_PATIENT.get(resource_type)
    if build is None:
        return outcome(404, "not-supported", f"{resource_type} is not served here.")
    reference = request.GET.get("patient", "")
    if not reference:
        return outcome(400, "required", "Search by patient=<id>.")
    patient = _patient(actor, reference.removeprefix("Patient/"))
    if patient is None:
        return fhir_response(bundle([]))
    access_record(actor=actor, patient_id=patient.pk, category=resource_type.lower(), channel="fhir")
    return fhir_response(bundle(build(patient)))
