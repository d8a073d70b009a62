"""Patients of a site."""

from __future__ import annotations

import uuid

from django.db import models

from handregen.records import ClinicalModel

SEX_CHOICES = [("female", "female"), ("male", "male"), ("other", "other"), ("unknown", "unknown")]
HAND_CHOICES = [("left", "left"), ("right", "right"), ("ambidextrous", "ambidextrous")]


class Patient(ClinicalModel):
    """A person treated at a site. The MRN is unique per site; the wristband code is unique everywhere."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=40)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=8, choices=SEX_CHOICES)
    dominant_hand = models.CharField(max_length=12, choices=HAND_CHOICES)
    occupation = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    postal_code = models.CharField(max_length=16, blank=True)
    wristband_code = models.CharField(max_length=16, unique=True)
    is_synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "mrn"], name="mrn_unique_per_site")]
        indexes = [models.Index(fields=["site", "family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
