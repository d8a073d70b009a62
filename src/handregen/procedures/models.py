"""The two procedures of a treatment cycle: the harvest that yields a cell product, and its injection."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from handregen.cellproducts.regulatory import ANAESTHESIA, ORIGINS, SOURCES
from handregen.pathway.models import SIDES
from handregen.records import ClinicalModel

HARVEST_SITES = [("iliac_crest", "Iliac crest"), ("abdomen", "Abdomen"), ("thigh", "Thigh"), ("flank", "Flank")]
GUIDANCE = [("ultrasound", "Ultrasound"), ("fluoroscopy", "Fluoroscopy")]


class Harvest(ClinicalModel):
    """Collection of bone marrow or fat; creates the cell product (one per harvest)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="harvests")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="harvests")
    cycle = models.PositiveSmallIntegerField(default=1)
    product = models.OneToOneField("cellproducts.CellProduct", on_delete=models.PROTECT, related_name="harvest")
    source = models.CharField(max_length=16, choices=list(SOURCES.items()))
    origin = models.CharField(max_length=16, choices=list(ORIGINS.items()))
    donor = models.ForeignKey("cellproducts.Donor", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    volume_ml = models.DecimalField(max_digits=7, decimal_places=2)
    harvest_site = models.CharField(max_length=16, choices=HARVEST_SITES)
    anaesthesia = models.CharField(max_length=16, choices=list(ANAESTHESIA.items()))
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    complications = models.TextField(blank=True)
    # The consent this harvest relied on: a later re-consent does not change it.
    consent = models.ForeignKey("consent.Consent", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_source_display()} harvest ({self.ended_at:%Y-%m-%d})"


class Injection(ClinicalModel):
    """The injection of one verified product; a product is consumed once (one injection per product)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="injections")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="injections")
    cycle = models.PositiveSmallIntegerField(default=1)
    product = models.OneToOneField("cellproducts.CellProduct", on_delete=models.PROTECT, related_name="injection")
    joint = models.CharField(max_length=16)
    side = models.CharField(max_length=8, choices=SIDES)
    guidance = models.CharField(max_length=16, choices=GUIDANCE)
    anaesthetic = models.CharField(max_length=120)
    volume_ml = models.DecimalField(max_digits=6, decimal_places=2)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    performed_at = models.DateTimeField()
    # What was scanned at the bedside and what the check found (always a match: refusals are not recorded here).
    scanned_product_code = models.CharField(max_length=40)
    scanned_wristband_code = models.CharField(max_length=40)
    verification = models.JSONField(default=dict)
    # The consent this injection relied on: a later re-consent does not change it.
    consent = models.ForeignKey("consent.Consent", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["episode", "performed_at"])]

    def __str__(self) -> str:
        return f"injection of {self.product_id} into {self.side} {self.joint}"
