"""The FHIR R4 API at /fhir/R4/: bearer-token auth, site scoping, application/fhir+json, an OperationOutcome for
every error. Thin: requests are parsed here, reads go through `selectors`, searches are planned by `search`."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.accounts.selectors import actor_for_token
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.interop.fhir import selectors, writes
from handregen.interop.fhir.capability import capability_statement
from handregen.interop.fhir.search import FORMATS, SearchRefused, plan_search
from handregen.interop.fhir.search_values import date_range

FHIR_JSON = "application/fhir+json"
ACCEPTED = ("*/*", "application/*", "application/json", FHIR_JSON, "application/json+fhir")
View = Callable[..., HttpResponseBase]


def fhir_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)


def outcome(status: int, code: str, text: str, severity: str = "error") -> HttpResponse:
    return fhir_response(
        {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": text}]},
        status,
    )


def _acceptable(request: HttpRequest) -> bool:
    fmt = request.GET.get("_format")
    if fmt is not None:
        return fmt in FORMATS
    accept = request.headers.get("Accept", "")
    return not accept.strip() or any(kind.split(";")[0].strip() in ACCEPTED for kind in accept.split(","))


def fhir_endpoint(*methods: str, auth: bool = True) -> Callable[[View], View]:
    """Method (405), Accept and `_format` (406), bearer token (401) and role (403) checks, each answered with an
    OperationOutcome. No CSRF check: the endpoints take a bearer token, never a session cookie."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                response = outcome(405, "not-supported", f"{request.method} is not supported here.")
                response["Allow"] = ", ".join(methods)
                return response
            if not _acceptable(request):
                return outcome(406, "not-supported", "This server answers application/fhir+json only.")
            return view(request, *args, **kwargs)

        return csrf_exempt(fhir_actor(wrapper) if auth else wrapper)

    return decorate


def fhir_actor(view: View) -> View:
    """Require a bearer token of a role that may read patients' records (401/403 otherwise); deny by default.
    CSRF does not apply: the token is sent by the client, never by a browser on its own."""

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

    return csrf_exempt(wrapper)


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


def bundle(
    request: HttpRequest, entries: list[dict[str, Any]], kind: str = "searchset", **extra: Any
) -> dict[str, Any]:
    base = base_url(request)
    return {
        "resourceType": "Bundle",
        "type": kind,
        "timestamp": timezone.now().isoformat(),
        **extra,
        "entry": [{"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r} for r in entries] or None,
    }


@fhir_endpoint("GET", auth=False)
def metadata(request: HttpRequest) -> HttpResponse:
    return fhir_response(capability_statement())


@fhir_endpoint("GET", "PUT")
def resource_read(request: HttpRequest, actor: Actor, resource_type: str, resource_id: str) -> HttpResponse:
    if resource_type not in selectors.SERVED:
        return outcome(404, "not-supported", f"{resource_type} is not a resource type served here.")
    if request.method == "PUT":
        return _write(request, actor, resource_type, resource_id)
    resource = selectors.resource_read(actor=actor, resource_type=resource_type, resource_id=resource_id)
    if resource is None:
        return outcome(404, "not-found", f"No {resource_type} with this id here.")
    etag = f'W/"{resource["meta"]["versionId"]}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers={"ETag": etag})
    response = fhir_response(resource)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(date_range(resource["meta"]["lastUpdated"])[0].timestamp())
    return response


def _page_link(request: HttpRequest, relation: str, resource_type: str, offset: int, count: int) -> dict[str, str]:
    query = [(k, v) for k, values in request.GET.lists() for v in values if k not in ("_offset", "_count")]
    query += [("_count", str(count)), ("_offset", str(offset))]
    return {"relation": relation, "url": f"{base_url(request)}{resource_type}?{urlencode(query)}"}


@fhir_endpoint("GET", "POST")
def type_search(request: HttpRequest, actor: Actor, resource_type: str) -> HttpResponse:
    """`<Type>?params`: the search parameters of `search_params.SEARCH_PARAMS`, paged with `_count`/`_offset`;
    POST creates (Patient, QuestionnaireResponse)."""
    if resource_type not in selectors.SERVED:
        return outcome(404, "not-supported", f"{resource_type} is not a resource type served here.")
    if request.method == "POST":
        return _write(request, actor, resource_type, None)
    strict = "handling=strict" in request.headers.get("Prefer", "").replace(" ", "")
    try:
        plan = plan_search(resource_type, [(k, v) for k, vs in request.GET.lists() for v in vs], strict=strict)
    except SearchRefused as refused:
        return outcome(400, "invalid" if "strict" not in str(refused) else "not-supported", str(refused))
    result = selectors.search_resources(actor=actor, plan=plan)
    links = [_page_link(request, "self", resource_type, plan.offset, plan.count)]
    if not plan.summary_count and plan.offset + plan.count < result.total:
        links.append(_page_link(request, "next", resource_type, plan.offset + plan.count, plan.count))
    if not plan.summary_count and plan.offset > 0:
        links.append(_page_link(request, "previous", resource_type, max(0, plan.offset - plan.count), plan.count))
    body = bundle(request, result.matches + result.included, total=result.total if plan.total else None, link=links)
    for entry in body["entry"] or []:
        entry["search"] = {"mode": "match"}
    for entry in (body["entry"] or [])[len(result.matches) :]:
        entry["search"] = {"mode": "include"}
    if plan.ignored:
        note = {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "warning", "code": "not-supported", "diagnostics": f"Ignored (not handled): {name}"}
                for name in plan.ignored
            ],
        }
        body["entry"] = [*(body["entry"] or []), {"resource": note, "search": {"mode": "outcome"}}]
    return fhir_response({k: v for k, v in body.items() if v is not None})


@fhir_endpoint("GET")
def patient_everything(request: HttpRequest, actor: Actor, patient_id: str) -> HttpResponse:
    try:
        resources = selectors.patient_everything(actor=actor, patient_id=patient_id)
    except NotFound:
        return outcome(404, "not-found", "No such Patient here.")
    body = bundle(request, resources)
    body["total"] = len(resources)
    return fhir_response(body)


def _body(request: HttpRequest) -> dict[str, Any] | HttpResponse:
    if request.content_type not in (FHIR_JSON, "application/json"):
        return outcome(415, "not-supported", "Send application/fhir+json.")
    try:
        body = json.loads(request.body)
    except ValueError:
        return outcome(400, "structure", "The body is not JSON.")
    if not isinstance(body, dict):
        return outcome(400, "structure", "The body is not a FHIR resource.")
    return body


def _refused(exc: Exception) -> HttpResponse:
    if isinstance(exc, writes.Unstorable):
        issues = [
            {"severity": "error", "code": "not-supported", "diagnostics": why, "expression": [where]}
            for where, why in exc.problems
        ]
        return fhir_response({"resourceType": "OperationOutcome", "issue": issues}, 422)
    if isinstance(exc, Forbidden):
        return outcome(403, "forbidden", "This role may not make this change.")
    if isinstance(exc, NotFound):
        return outcome(404, "not-found", "No such record here.")
    if isinstance(exc, InvalidInput):
        return fhir_response(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "error", "code": "invalid", "diagnostics": message, "expression": [field]}
                    for field, message in exc.errors
                ],
            },
            422,
        )
    return outcome(409, "business-rule", str(exc))


WRITE_ERRORS = (writes.Unstorable, Forbidden, NotFound, InvalidInput, GuardRefused)


def _write(request: HttpRequest, actor: Actor, resource_type: str, resource_id: str | None) -> HttpResponse:
    """Create (POST) or update (PUT) one Patient or QuestionnaireResponse; 201/200 with the stored resource."""
    body = _body(request)
    if isinstance(body, HttpResponse):
        return body
    if body.get("resourceType") != resource_type:
        return outcome(400, "invalid", f"The body must be a {resource_type}.")
    if ("update" if resource_id else "create") not in writes.INTERACTIONS.get(resource_type, ()):
        return outcome(405, "not-supported", f"{request.method} {resource_type} is not supported here.")
    try:
        if resource_type == "Patient" and resource_id is None:
            record: Any = writes.patient_create(actor=actor, resource=body)
        elif resource_type == "Patient" and resource_id is not None:
            record = writes.patient_update(actor=actor, patient_id=resource_id, resource=body)
        else:
            record = writes.response_create(actor=actor, resource=body)
    except WRITE_ERRORS as exc:
        return _refused(exc)
    stored = selectors.resource_read(actor=actor, resource_type=resource_type, resource_id=str(record.pk))
    response = fhir_response(stored or {}, 200 if resource_id else 201)
    response["Location"] = f"{base_url(request)}{resource_type}/{record.pk}"
    return response


@fhir_endpoint("POST")
def transaction(request: HttpRequest, actor: Actor) -> HttpResponse:
    """A `transaction` Bundle: all or nothing (see `writes.transaction_apply`)."""
    body = _body(request)
    if isinstance(body, HttpResponse):
        return body
    try:
        done = writes.transaction_apply(actor=actor, bundle=body)
    except WRITE_ERRORS as exc:
        return _refused(exc)
    methods = [e.get("request", {}).get("method") for e in body.get("entry", [])]
    entries = [
        {"response": {"status": "201 Created" if method == "POST" else "200 OK", "location": f"{kind}/{record.pk}"}}
        for (kind, record), method in zip(done, methods, strict=True)
    ]
    return fhir_response({"resourceType": "Bundle", "type": "transaction-response", "entry": entries})


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /fhir/R4/: an OperationOutcome, never the site's HTML page."""
    return outcome(404, "not-found", f"Nothing is served at /fhir/R4/{rest}.")
