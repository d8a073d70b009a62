"""What a locked-out sign-in sees: the same page as a wrong password, so accounts cannot be probed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from handregen.audit.services import audit_record


def locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """Answer like a failed sign-in, and record the lockout (never the password)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    with transaction.atomic():
        audit_record(
            actor=None,
            action="auth.lockout",
            object_type="username",
            object_id=username[:64],
            reason="too many failed sign-ins from one address",
        )
    return render(
        request,
        "web/login.html",
        {"form": AuthenticationForm(request), "failed": True, "next": request.POST.get("next", "")},
        status=200,
    )
