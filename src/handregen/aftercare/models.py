"""Post-procedure care of one treatment cycle: monitoring, discharge and the after-care instructions given."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from handregen.records import ClinicalModel


class PostCareRecord(ClinicalModel):
    """Monitoring after the injection, the discharge time and the protocol's after-care instructions as given.

    `instructions` keeps the protocol's after-care text as it was handed to the patient (splint days,
    activity limits, when to call), so a later protocol version does not change what this patient was told.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="post_care_records")
    cycle = models.PositiveSmallIntegerField(default=1)
    injection_id = models.UUIDField(null=True, blank=True)  # procedures.Injection of this cycle
    injected_at = models.DateTimeField(null=True, blank=True)
    monitoring = models.JSONField(default=list)
    discharged_at = models.DateTimeField()
    instructions_given = models.BooleanField()
    instructions = models.JSONField(default=dict)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["episode", "cycle"], name="post_care_once_per_cycle")]

    def __str__(self) -> str:
        return f"post-procedure care, cycle {self.cycle}"
