"""Consent documents (versioned text), a patient's consent for an episode, and its electronic signature."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from handregen.records import REFERENCE, AppendOnlyModel, ClinicalModel

CONSENT_STATUSES = [("active", "active"), ("withdrawn", "withdrawn"), ("superseded", "superseded")]
DISCUSSION_TOPICS = ("risks", "benefits", "alternatives", "expectations")
DEFAULT_MEANING = "consent to harvest and injection"
RECONSENT_KINDS = [
    ("new_document_version", "a new version of the consent document"),
    ("material_change", "a material change (new risk information, a changed plan)"),
]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ConsentDocument(models.Model):
    """One version of the consent text, loaded from a template file; the sha256 pins its exact words."""

    record_kind: ClassVar[str] = REFERENCE
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=300, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    @property
    def text_intact(self) -> bool:
        return text_sha256(self.text) == self.sha256


class Consent(ClinicalModel):
    """A patient's consent to harvest and injection for one episode, after the discussion was recorded.

    `status` is active until the patient withdraws it or a newer consent supersedes it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="consents")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="consents")
    discussed_risks = models.BooleanField(default=False)
    discussed_benefits = models.BooleanField(default=False)
    discussed_alternatives = models.BooleanField(default=False)
    discussed_expectations = models.BooleanField(default=False)
    # The figure about similar past patients shown during the discussion (analytics), as shown; null if none.
    expectation_shown = models.JSONField(null=True, blank=True)
    discussion_notes = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=CONSENT_STATUSES, default="active")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # A re-consent over an active consent: why (a new document version or a material change) and in words.
    reconsent_kind = models.CharField(max_length=24, blank=True, choices=RECONSENT_KINDS)
    reconsent_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["episode", "recorded_at"])]

    def __str__(self) -> str:
        return f"consent on document {self.document.version} ({self.status})"

    @property
    def discussed(self) -> dict[str, bool]:
        return {topic: bool(getattr(self, f"discussed_{topic}")) for topic in DISCUSSION_TOPICS}


def signed_content(
    *,
    consent: Consent,
    signer_name: str,
    meaning: str,
    signed_at_iso: str,
    document_version: str,
    document_sha256: str,
) -> dict[str, Any]:
    """What a signature binds: the signer's words and the consent's content (not its later status)."""
    return {
        "consent_id": str(consent.pk),
        "episode_id": str(consent.episode_id),
        "patient_id": str(consent.patient_id),
        "site_id": str(consent.site_id),
        "document_id": str(consent.document_id),
        "document_version": document_version,
        "document_sha256": document_sha256,
        "discussed": consent.discussed,
        "expectation_shown": consent.expectation_shown,
        "recorded_at": consent.recorded_at.isoformat(),
        "signer_name": signer_name,
        "meaning": meaning,
        "signed_at": signed_at_iso,
    }


def content_digest(content: dict[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces, UTF-8) of the signed content."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Signature(AppendOnlyModel):
    """The patient's electronic signature of one consent: who (printed name), what it means, when, on which text.

    `digest` binds the signature to the consent's content and the document's exact words; `is_valid_for`
    recomputes it, so a consent changed after signing no longer verifies.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="signatures")
    signer_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    signed_at_iso = models.CharField(max_length=40)
    document_version = models.CharField(max_length=32)
    document_sha256 = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    witnessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"signature of {self.signer_name} ({self.signed_at_iso})"

    def content(self, consent: Consent) -> dict[str, Any]:
        return signed_content(
            consent=consent,
            signer_name=self.signer_name,
            meaning=self.meaning,
            signed_at_iso=self.signed_at_iso,
            document_version=self.document_version,
            document_sha256=self.document_sha256,
        )

    def is_valid_for(self, consent: Consent) -> bool:
        """True when this signature belongs to `consent` as it is now, on the exact document text signed."""
        if self.consent_id != consent.pk:
            return False
        document = consent.document
        if document.version != self.document_version or document.sha256 != self.document_sha256:
            return False
        if not document.text_intact:
            return False
        return content_digest(self.content(consent)) == self.digest
