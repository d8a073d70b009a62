"""Error pages that carry a correlation id and no data; the id ties the page to the server log line."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from handregen.errors import Forbidden

log = logging.getLogger("handregen.errors")


class CorrelationIdMiddleware:
    """Give every request an id, echo it in a response header, and log unhandled errors by id only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.correlation_id = uuid.uuid4().hex[:16]  # type: ignore[attr-defined]
        response = self.get_response(request)
        if response.status_code >= 400:
            # The route's name and the status only: paths and query strings can hold patient names (issue 19, 7).
            match = getattr(request, "resolver_match", None)
            log.log(
                logging.ERROR if response.status_code >= 500 else logging.WARNING,
                "%s %s on route %s [correlation %s]",
                request.method,
                response.status_code,
                match.view_name if match else "(no route)",
                request.correlation_id,  # type: ignore[attr-defined]
            )
        response["X-Correlation-ID"] = request.correlation_id  # type: ignore[attr-defined]
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_large(request)
        if isinstance(exception, Forbidden):
            # A role refused by a service: the 403 page on the web, as the API answers 403 (issue 19, finding 7).
            return forbidden(request, PermissionDenied(_plain(str(exception))))
        # The exception's type and the route only: messages and URLs may carry patient data.
        route = getattr(getattr(request, "resolver_match", None), "route", "?")
        log.error(
            "unhandled %s on route %s [correlation %s]",
            type(exception).__name__,
            route,
            getattr(request, "correlation_id", "-"),
        )
        return None


def _plain(message: str) -> str:
    """A refusal without the permission's code in brackets ("... may not do this (product_release).")."""
    return re.sub(r" \([a-z_]+\)(?=\.?$)", "", message)


def problem_response(status: int, title: str, detail: str, **extra: object) -> HttpResponse:
    """A problem+json answer for API and FHIR addresses, which a program reads (RFC 9457)."""
    body = {
        "type": f"urn:handregen:problem:{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    } | extra
    return HttpResponse(json.dumps(body), status=status, content_type="application/problem+json")


def for_a_program(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/fhir/"))


def too_large(request: HttpRequest) -> HttpResponse:
    """413: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django's RequestDataTooBig, a 500 through the API before)."""
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_000_000
    detail = f"The request is too large: at most {limit_mb:g} MB may be sent at once."
    if for_a_program(request):
        return problem_response(413, "Content too large", detail)
    return render(request, "web/413.html", {"detail": detail}, status=413)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 page: plain words and a way back; never the list of addresses DEBUG would show."""
    if for_a_program(request):
        return problem_response(404, "Not found", "There is nothing at this address.")
    return render(request, "web/404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page: what the role may not do, in the refusal's own words when it has them."""
    detail = str(exception) if exception is not None and str(exception) else ""
    if for_a_program(request):
        return problem_response(403, "Forbidden", detail or "Your role may not do this.")
    return render(request, "web/403.html", {"detail": detail}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    if for_a_program(request):
        return problem_response(400, "Bad request", "The request could not be read.")
    return render(request, "web/400.html", status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: a generic message and the correlation id, nothing from the failed request."""
    correlation_id = getattr(request, "correlation_id", "-")
    if for_a_program(request):
        return problem_response(500, "Server error", f"Something went wrong; reference {correlation_id}.")
    body: str
    try:
        body = render_to_string("web/500.html", {"correlation_id": correlation_id})
    except Exception:  # the page itself must not fail (a broken static manifest, say): words without styling
        body = f"<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1><p>{correlation_id}</p>"
    return HttpResponse(body, status=500)
