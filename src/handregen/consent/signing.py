"""What a consent signature covers and means (registered with handregen.signatures when the app is ready)."""

from __future__ import annotations

from typing import Any

from handregen.accounts.roles import Permission
from handregen.consent.models import Consent, Signature
from handregen.signatures.kinds import Kind, record_fields

CONSENT_WITNESS = "witnessed consent to harvest and injection"


def _consent_form(consent: Consent) -> dict[str, Any]:
    patient_signature = Signature.objects.filter(consent_id=consent.pk).order_by("signed_at").first()
    return record_fields(
        consent,
        ("site_id", "episode_id", "patient_id", "document_id", "expectation_shown", "discussion_notes", "recorded_at"),
    ) | {
        "document_version": consent.document.version,
        "document_sha256": consent.document.sha256,
        "discussed": consent.discussed,
        "patient_signature_digest": patient_signature.digest if patient_signature else None,
    }


KIND = Kind(
    "consent",
    Consent,
    "consent",
    _consent_form,
    {CONSENT_WITNESS: Permission.CONSENT_RECORD},
    locked_when=lambda c: c.status == "active",
)
