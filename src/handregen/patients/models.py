"""Patients of a site."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from handregen.records import AppendOnlyModel, ClinicalModel

SEX_CHOICES = [("female", "female"), ("male", "male"), ("other", "other"), ("unknown", "unknown")]
HAND_CHOICES = [("left", "left"), ("right", "right"), ("ambidextrous", "ambidextrous")]


# Languages the patient's pages speak (our own words; not validated instrument translations).
PATIENT_LANGUAGES = [("en", "English"), ("es", "Spanish (español)")]


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
    preferred_language = models.CharField(max_length=8, choices=PATIENT_LANGUAGES, blank=True)  # "" = the clinic's
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


class BreakGlassGrant(AppendOnlyModel):
    """Emergency read access of one user to one patient of another site, with the reason, for a limited time.

    `site` is the patient's site (whose audit chain and report carry the grant); `actor_site` is where the user
    holds the role they used. Never changed: a grant ends by its expiry.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="break_glass_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=32)
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "patient", "expires_at"]), models.Index(fields=["site", "granted_at"])]

    def __str__(self) -> str:
        return f"break-glass grant {self.pk}"
