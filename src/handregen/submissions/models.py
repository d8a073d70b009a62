"""What makes a submission count once: the one-time token of a staff form, the Idempotency-Key of an API POST."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from handregen.records import REFERENCE


class FormSubmission(models.Model):
    """A staff form's one-time token, stored when the form's submission succeeded (Post/Redirect/Get).

    A second submission of the same token (Back and re-submit, a double click) is sent where the first one led.
    """

    record_kind: ClassVar[str] = REFERENCE
    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=300)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"form submitted to {self.path}"


class IdempotentRequest(models.Model):
    """An API POST under an Idempotency-Key, with the response it got, replayed for the same key and body."""

    record_kind: ClassVar[str] = REFERENCE
    scope = models.CharField(max_length=64)  # SHA-256 of the caller's credentials: keys are per caller
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_once_per_caller")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} under an idempotency key"
