"""FHIR Bulk Data kick-off, status, cancel and file download, at /fhir/R4/ (Bulk Data IG v2).

`GET $export`, `GET Patient/$export` or `GET Group/[id]/$export` with `Prefer: respond-async` (and optionally
`_since`, `_type`) answers 202 at once with a status URL in Content-Location; a background worker runs the export
(`bulk_jobs`). The status URL answers 202 with X-Progress while it runs, 200 with the manifest and an `Expires`
header when it is done, 500 with an OperationOutcome if it failed; `DELETE` on it cancels the export (202).
All of them need the bearer token of a user with the bulk export permission (site admin, data steward); a job is
seen only by its requester and the site's administrators, anyone else gets 404. Past a user's limits the kick-off
is a 429 OperationOutcome with Retry-After. The endpoints take only bearer tokens, so CSRF does not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import orjson
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.accounts.selectors import actor_for_token
from handregen.errors import InvalidInput
from handregen.interop.fhir.bulk_jobs import (
    ExportLimitReached,
    expires_at,
    export_cancel,
    export_file_open,
    export_params,
    export_request,
    export_state,
    group_id,
)
from handregen.interop.fhir.views import outcome


def bulk_actor(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Require a bearer token of a role that may export the site's records in bulk; deny by default."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        header = request.headers.get("Authorization", "")
        actor = actor_for_token(header[7:]) if header.startswith("Bearer ") else None
        if actor is None:
            response = outcome(401, "login", "Send a valid bearer token.")
            response["WWW-Authenticate"] = "Bearer"
            return response
        if not actor.can(Permission.BULK_EXPORT):
            return outcome(
                403,
                "forbidden",
                "This role may not export the site's records in bulk; the site administrator can give the data "
                "steward role to someone who needs to.",
            )
        return view(request, actor, *args, **kwargs)

    return csrf_exempt(wrapper)


def _kick_off(request: HttpRequest, actor: Actor, level: str) -> HttpResponse:
    if "respond-async" not in request.headers.get("Prefer", ""):
        return outcome(400, "invalid", "Bulk export runs asynchronously: send the header Prefer: respond-async.")
    try:
        params = export_params({name: request.GET.getlist(name) for name in request.GET})
        job = export_request(
            actor=actor,
            level=level,
            request_url=request.build_absolute_uri(),
            bulk_url=request.build_absolute_uri("/fhir/R4/bulk/"),
            params=params,
        )
    except InvalidInput as exc:
        code = "not-supported" if any("not supported" in m or "only" in m for _, m in exc.errors) else "invalid"
        return outcome(400, code, "; ".join(f"{name}: {message}" for name, message in exc.errors))
    except ExportLimitReached as exc:
        response = outcome(429, "throttled", " ".join(exc.reasons))
        response["Retry-After"] = str(exc.retry_after)
        return response
    response = HttpResponse(status=202)
    response["Content-Location"] = request.build_absolute_uri(f"/fhir/R4/bulk/{job.pk}")
    return response


@require_GET
@bulk_actor
def system_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _kick_off(request, actor, "system")


@require_GET
@bulk_actor
def patient_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _kick_off(request, actor, "patient")


@require_GET
@bulk_actor
def group_export(request: HttpRequest, actor: Actor, group: str) -> HttpResponse:
    if group != group_id(actor.site):
        return outcome(404, "not-found", "No such group here.")
    return _kick_off(request, actor, "group")


@require_http_methods(["GET", "DELETE"])
@bulk_actor
def export_status(request: HttpRequest, actor: Actor, job_id: str) -> HttpResponse:
    if request.method == "DELETE":
        if not export_cancel(actor=actor, job_id=job_id):
            return outcome(404, "not-found", "No such export job here.")
        return HttpResponse(status=202)
    state = export_state(actor=actor, job_id=job_id)
    if state is None:
        return outcome(404, "not-found", "No such export job here (or its files expired).")
    kind, detail = state
    if kind == "done":
        expires = expires_at(detail)
        manifest = {**detail.manifest, "extension": {"expires": expires.isoformat()}}
        response = HttpResponse(orjson.dumps(manifest), content_type="application/json")
        response["Expires"] = http_date(expires.timestamp())
        return response
    if kind == "failed":
        return outcome(500, "exception", detail)
    response = HttpResponse(status=202)
    response["X-Progress"] = f"{detail[0]} of {detail[1]} patients exported" if detail else "waiting to start"
    response["Retry-After"] = "2"
    return response


@require_GET
@bulk_actor
def export_file(request: HttpRequest, actor: Actor, job_id: str, resource_type: str) -> HttpResponseBase:
    opened = export_file_open(actor=actor, job_id=job_id, resource_type=resource_type)
    if opened is None:
        return outcome(404, "not-found", "No such export file here.")
    handle, expires = opened
    response = FileResponse(handle, content_type="application/fhir+ndjson")
    response["Expires"] = http_date(expires.timestamp())
    return response
