"""Throttling and lockout of signing credentials (A7), kept in django-axes' own table like sign-in (A2).

A failed re-authentication or second-person verification is counted against the username that was named, in an
axes `AccessAttempt` row marked as a signing attempt (no address: the signer is already signed in) and keyed by
the acting user, so that an axes reset or the axes admin clears and shows it like a sign-in failure. A username
is locked for signing when the failures recorded against it in the cool-off window (sign-in and signing
together) reach `AXES_FAILURE_LIMIT`; an acting user whose own signing attempts reach the limit, whomever they
named, is refused further verifications (not their own signature). Failures are written after the signing
transaction rolled back (`failed_credentials_record`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.audit.services import audit_record

SIGNING_CLIENT = "handregen signing"  # the user_agent of the rows written here, followed by the acting user's id


@dataclass(frozen=True)
class CredentialFailure:
    """One refused signing credential check: who was named, who typed it, and what was wrong (for the audit log)."""

    named: str
    by_user_id: int
    detail: str


def _client(by_user_id: int) -> str:
    return f"{SIGNING_CLIENT} by user {by_user_id}"


def _window_start() -> datetime:
    return timezone.now() - settings.AXES_COOLOFF_TIME


def _failures(**lookup: object) -> int:
    recent = AccessAttempt.objects.filter(attempt_time__gt=_window_start(), **lookup)
    return recent.aggregate(n=Sum("failures_since_start"))["n"] or 0


def signing_locked(*, named: str, by_user_id: int | None = None) -> bool:
    """True when `named` has had too many failed credential checks lately, or (given `by_user_id`, for a second
    person's verification) the acting user has made too many, whomever they named."""
    limit = settings.AXES_FAILURE_LIMIT
    if _failures(username=named) >= limit:
        return True
    return by_user_id is not None and _failures(user_agent=_client(by_user_id)) >= limit


def signing_succeeded(*, named: str) -> None:
    """Forget the signing failures against `named` after a good check (as axes forgets sign-in failures)."""
    if settings.AXES_RESET_ON_SUCCESS:
        AccessAttempt.objects.filter(username=named, ip_address=None, user_agent__startswith=SIGNING_CLIENT).delete()


def failed_credentials_record(refusal: Exception, *, actor: Actor) -> None:
    """Count the failures a refused signing carried and put their detail on the audit trail, in a transaction
    of their own: the caller has rolled the signing (and anything written inside it) back."""
    for failure in getattr(refusal, "failed_credentials", ()):
        with transaction.atomic():
            _count(failure)
            audit_record(
                actor=actor,
                action="auth.signing_refused",
                object_type="username",
                object_id=failure.named[:64],
                changes={"detail": [None, failure.detail]},
                reason=failure.detail,
                outcome="refused",
            )
            if failure.detail != "locked" and signing_locked(named=failure.named, by_user_id=failure.by_user_id):
                audit_record(
                    actor=actor,
                    action="auth.lockout",
                    object_type="username",
                    object_id=failure.named[:64],
                    reason="too many failed signing attempts",
                )


def _count(failure: CredentialFailure) -> None:
    key = {"username": failure.named, "ip_address": None, "user_agent": _client(failure.by_user_id)}
    AccessAttempt.objects.filter(**key, attempt_time__lte=_window_start()).delete()
    now = timezone.now()
    attempt, created = AccessAttempt.objects.get_or_create(
        **key,
        defaults={
            "http_accept": "",
            "path_info": "signing",
            "get_data": "",
            "post_data": "",
            "failures_since_start": 1,
            "attempt_time": now,
        },
    )
    if not created:
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            failures_since_start=F("failures_since_start") + 1, attempt_time=now
        )
