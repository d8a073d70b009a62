"""FHIR Bulk Data kick-off, status and file download, at /fhir/R4/.

`GET $export` or `GET Patient/$export` with `Prefer: respond-async` answers 202 with a status URL in
Content-Location. The export runs synchronously, inside the kick-off request, into `VAR_DIR/fhir-bulk/<job>/`
(see the CapabilityStatement); the status URL then answers 200 at once with the manifest. Status and files
need the bearer token of the job's site; another site's job is not found.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson
from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_GET

from handregen.accounts.actor import Actor
from handregen.interop.fhir.bulk import TYPES, export_ndjson
from handregen.interop.fhir.views import fhir_actor, outcome
from handregen.interop.models import BulkExportJob

NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
KICK_OFF_PARAMS = {"_outputFormat"}


def jobs_dir() -> Path:
    return Path(settings.VAR_DIR) / "fhir-bulk"


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
    job_id = uuid.uuid4()
    requested_at = timezone.now()

    def url_of(file_name: str) -> str:
        return request.build_absolute_uri(f"/fhir/R4/bulk/{job_id}/{file_name}")

    manifest = export_ndjson(
        actor=actor, out=jobs_dir() / str(job_id), request=request.build_absolute_uri(), url_of=url_of
    )
    BulkExportJob.objects.create(
        id=job_id,
        site=actor.site,
        requested_by=actor.user,
        requested_at=requested_at,
        level=level,
        request_url=request.build_absolute_uri()[:500],
        manifest=manifest,
        completed_at=timezone.now(),
    )
    response = HttpResponse(status=202)
    response["Content-Location"] = request.build_absolute_uri(f"/fhir/R4/bulk/{job_id}")
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
    job = _job(actor, job_id)
    if job is None:
        return outcome(404, "not-found", "No such export job here.")
    return HttpResponse(orjson.dumps(job.manifest), content_type="application/json")


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
