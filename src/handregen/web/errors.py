"""Error pages that carry a correlation id and no data; the id ties the page to the server log line."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

log = logging.getLogger("handregen.errors")


class CorrelationIdMiddleware:
    """Give every request an id, echo it in a response header, and log unhandled errors by id only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.correlation_id = uuid.uuid4().hex[:16]  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Correlation-ID"] = request.correlation_id  # type: ignore[attr-defined]
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # The exception's type and the route only: messages and URLs may carry patient data.
        route = getattr(getattr(request, "resolver_match", None), "route", "?")
        log.error(
            "unhandled %s on route %s [correlation %s]",
            type(exception).__name__,
            route,
            getattr(request, "correlation_id", "-"),
        )
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: a generic message and the correlation id, nothing from the failed request."""
    body = render_to_string("web/500.html", {"correlation_id": getattr(request, "correlation_id", "-")})
    return HttpResponse(body, status=500)
