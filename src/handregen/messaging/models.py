"""One message to one patient through one channel, and what became of it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from handregen.records import ClinicalModel

QUEUED, SENT, FAILED = "queued", "sent", "failed"
STATUSES = [(QUEUED, "queued"), (SENT, "sent"), (FAILED, "failed")]


class Delivery(ClinicalModel):
    """A message handed to a channel: queued, then sent or failed (with the reason in plain words).

    What it is about is named by type and id (a follow-up now; an appointment later), not by a foreign key, so
    that any feature can send through here. The message text itself is not kept: it may carry a link.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=16)
    purpose = models.CharField(max_length=40)
    about_type = models.CharField(max_length=40, blank=True)
    about_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=STATUSES, default=QUEUED)
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["site", "about_type", "about_id"], name="delivery_about")]

    def __str__(self) -> str:
        return f"{self.purpose} by {self.channel}: {self.status}"
