"""Security headers and session lifetime for every response."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Only our own scripts and styles run: no inline code, no third-party origin, no framing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class SessionLifetimeMiddleware:
    """Ends a signed-in session 12 hours after sign-in, whatever the activity, and any session started before
    the user's sessions were revoked. Idle expiry is the session's age (15 minutes), renewed by activity at
    most once a minute, so that a busy page does not write its session on every request."""

    RENEW_AFTER_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = float(request.session.setdefault("signed_in_at", now))
            revoked = getattr(request.user, "sessions_valid_after", None)
            if now - started > settings.HANDREGEN_SESSION_ABSOLUTE_SECONDS or (
                revoked is not None and started < revoked.timestamp()
            ):
                logout(request)
            elif now - float(request.session.get("seen_at", 0)) > self.RENEW_AFTER_SECONDS:
                request.session["seen_at"] = now  # a modified session is saved with a fresh expiry
        return self.get_response(request)
