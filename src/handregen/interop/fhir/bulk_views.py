"""FHIR Bulk Data kick-off, status and file download, at /fhir/R4/.

`GET $export` or `GET Patient/$export` with `Prefer: respond-async` answers 202 at once with a status URL in
Content-Location; the export runs afterwards, outside the request (`bulk_jobs`), into `VAR_DIR/fhir-bulk/<job>/`.
The status URL answers 202 with X-Progress while it runs, 200 with the manifest when it is done, and 500 with an
OperationOutcome if it failed. Status and files need the bearer token of the job's site; another site's job is
not found.
"""

from __future__ import annotations

import uuid

import orjson
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from handregen.accounts.actor import Actor
from handregen.interop.fhir.bulk import TYPES
from handregen.interop.fhir.bulk_jobs import export_request, export_state, jobs_dir
from handregen.interop.fhir.views import fhir_actor, outcome
from handregen.interop.models import BulkExportJob

NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
KICK_OFF_PARAMS = {"_outputFormat"}


def _job(actor: Actor, job_id: str) -> BulkExportJob | None:
    try:
        uuid.UUID(job_id)
    except ValueError:
        return None
    return BulkExportJob.objects.filter(pk=job_id, site=actor.site).first()


def _kick_off(request: HttpRequest, actor: Actor, level: str) -> HttpResponse:
    if "respond-async" not in request.headers.get("Prefer", ""):
        return outcome(400, "invalid", "Bulk export runs asynchronously: send the header Prefer: respond-async.")
    unknown = sorted(set(request.GET) - KICK_OFF_PARAMS)
    if unknown:
        return outcome(400, "not-supported", f"Unsupported $export parameter(s): {', '.join(unknown)}")
    output_format = request.GET.get("_outputFormat", "application/fhir+ndjson")
    if output_format not in NDJSON_FORMATS:
        return outcome(400, "not-supported", "Only application/fhir+ndjson is written.")
    job = export_request(
        actor=actor,
        level=level,
        request_url=request.build_absolute_uri(),
        bulk_url=request.build_absolute_uri("/fhir/R4/bulk/"),
    )
    response = HttpResponse(status=202)
    response["Content-Location"] = request.build_absolute_uri(f"/fhir/R4/bulk/{job.pk}")
    return response


@require_GET
@fhir_actor
def system_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _kick_off(request, actor, "system")


@require_GET
@fhir_actor
def patient_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _kick_off(request, actor, "patient")


@require_GET
@fhir_actor
def export_status(request: HttpRequest, actor: Actor, job_id: str) -> HttpResponse:
    state = export_state(actor=actor, job_id=job_id)
    if state is None:
        return outcome(404, "not-found", "No such export job here.")
    kind, detail = state
    if kind == "done":
        return HttpResponse(orjson.dumps(detail), content_type="application/json")
    if kind == "failed":
        return outcome(500, "exception", detail)
    response = HttpResponse(status=202)
    response["X-Progress"] = f"{detail[0]} of {detail[1]} patients exported" if detail else "waiting to start"
    response["Retry-After"] = "2"
    return response


@require_GET
@fhir_actor
def export_file(request: HttpRequest, actor: Actor, job_id: str, resource_type: str) -> HttpResponseBase:
    job = _job(actor, job_id)
    if job is None or resource_type not in TYPES:
        return outcome(404, "not-found", "No such export file here.")
    path = jobs_dir() / str(job.pk) / f"{resource_type}.ndjson"
    if not path.is_file():
        return outcome(404, "not-found", "No such export file here.")
    return FileResponse(path.open("rb"), content_type="application/fhir+ndjson")
