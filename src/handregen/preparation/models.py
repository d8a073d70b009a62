"""The day-of preparation checklist of a treatment cycle."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from handregen.records import ClinicalModel


class PreparationChecklist(ClinicalModel):
    """The nurse's day-of checklist for one treatment cycle, written only when every item held.

    `items` keeps each protocol item code with its answer and label; `instructions` the preparation
    instructions the patient was given (as computed from the protocol and the recorded medications).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="preparation_checklists")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    cycle = models.PositiveSmallIntegerField(default=1)
    items = models.JSONField(default=dict)
    instructions = models.JSONField(default=dict)
    consent = models.ForeignKey("consent.Consent", null=True, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["episode", "cycle"], name="one_preparation_checklist_per_cycle")]

    def __str__(self) -> str:
        return f"preparation checklist, cycle {self.cycle}"

    @property
    def complete(self) -> bool:
        return bool(self.items) and all(bool(v.get("value")) for v in self.items.values())
