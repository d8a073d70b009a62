"""The sign-in backend: django-axes' throttling (A2), with a locked account answering as slowly as an open one."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest


class ThrottledSignInBackend(AxesStandaloneBackend):
    """Refuses a locked-out username and address like axes does, after the same password-hashing work as checking
    a password: otherwise the refusal comes back faster and shows, by its timing, that the account is locked."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        try:
            return super().authenticate(request, username, password, **kwargs)
        except AxesBackendPermissionDenied:
            make_password(password or "")
            raise
