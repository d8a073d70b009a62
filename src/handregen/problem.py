"""RFC 9457 problem+json answers, shared by the API's exception handlers and the routers that answer one directly."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse

PROBLEM = "application/problem+json"


def problem(request: HttpRequest, status: int, title: str, detail: str, **extra: Any) -> HttpResponse:
    """A problem+json answer; `extra` members (errors, reasons, current values) go beside the standard ones."""
    body = {
        "type": f"urn:handregen:problem:{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    } | extra
    return JsonResponse(body, status=status, encoder=DjangoJSONEncoder, content_type=PROBLEM)
