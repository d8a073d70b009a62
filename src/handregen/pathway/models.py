"""Protocol versions and episodes of care."""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import ClassVar

from django.conf import settings
from django.db import models

from handregen.pathway.protocol import Protocol as ProtocolDefinition
from handregen.pathway.protocol import parse_protocol
from handregen.pathway.stages import Stage
from handregen.records import REFERENCE, ClinicalModel

INDICATIONS = [
    ("thumb_cmc_oa", "Thumb base (CMC1) osteoarthritis"),
    ("finger_oa", "Finger joint (PIP/DIP) osteoarthritis"),
    ("wrist_oa", "Wrist (radiocarpal) osteoarthritis"),
]
SIDES = [("left", "left"), ("right", "right")]


class Protocol(models.Model):
    """One version of a treatment protocol, loaded from a shipped or clinic-edited file."""

    record_kind: ClassVar[str] = REFERENCE
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=64)
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    document = models.JSONField()
    digest = models.CharField(max_length=64)
    is_current = models.BooleanField(default=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="protocol_version_unique")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @cached_property
    def definition(self) -> ProtocolDefinition:
        return parse_protocol(self.document)


class Episode(ClinicalModel):
    """One patient, one indication and side, one protocol version, moving through the pathway's stages."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="episodes")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="episodes")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="episodes")
    indication = models.CharField(max_length=32, choices=INDICATIONS)
    side = models.CharField(max_length=8, choices=SIDES)
    target_joints = models.JSONField(default=list)
    stage = models.CharField(max_length=16, choices=[(s.value, s.value) for s in Stage], default=Stage.REFERRED)
    cycle = models.PositiveSmallIntegerField(default=1)
    responsible_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage_changed_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["site", "stage", "stage_changed_at"])]

    def __str__(self) -> str:
        return f"{self.get_indication_display()}, {self.side} ({self.stage})"
