"""The records staff sign or that lock, each with its canonical form (what a signature's SHA-256 covers), the
meanings a signature of it may carry (and the permission each needs), and when it is locked.

The canonical form holds the record's type and id and its content, not its lifecycle (status, withdrawal,
administration) nor its version counter: a consent withdrawn by the patient or a product given to the patient
still carries the signatures of what was signed; an edit of the content does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from handregen.accounts.roles import Permission
from handregen.cellproducts.models import CellProduct, ProcessingRecord, ReleaseDecision
from handregen.consent.models import Consent, Signature
from handregen.evaluation.models import CandidacyDecision
from handregen.safety.models import AdverseEvent

CONSENT_WITNESS = "witnessed consent to harvest and injection"
CANDIDACY = "candidacy decision"
PRODUCT_RELEASE = "product release"
RELEASE_VERIFICATION = "release verification"
# Adverse-event outcomes that close the event (nothing more to follow).
CLOSED_OUTCOMES = frozenset({"recovered", "recovered_with_sequelae", "fatal"})


def _fields(record: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def _consent_form(consent: Consent) -> dict[str, Any]:
    patient_signature = Signature.objects.filter(consent_id=consent.pk).order_by("signed_at").first()
    return _fields(
        consent,
        ("site_id", "episode_id", "patient_id", "document_id", "expectation_shown", "discussion_notes", "recorded_at"),
    ) | {
        "document_version": consent.document.version,
        "document_sha256": consent.document.sha256,
        "discussed": consent.discussed,
        "patient_signature_digest": patient_signature.digest if patient_signature else None,
    }


def _candidacy_form(decision: CandidacyDecision) -> dict[str, Any]:
    return _fields(
        decision,
        (
            "site_id",
            "episode_id",
            "patient_id",
            "consultation_id",
            "protocol_code",
            "protocol_version",
            "answers",
            "derived",
            "soft_flags",
            "decision",
            "rationale",
            "decided_by_id",
            "decided_at",
        ),
    )


PROCESSING_SIGNED = (
    "method",
    "device",
    "device_lot",
    "kit_lot",
    "output_volume_ml",
    "total_nucleated_cells",
    "viability_percent",
    "markers",
    "sterility_sample_taken",
    "sterility_sample_id",
    "started_at",
    "ended_at",
)


def _product_form(product: CellProduct) -> dict[str, Any]:
    processing = ProcessingRecord.objects.filter(product_id=product.pk).first()
    release = ReleaseDecision.objects.filter(product_id=product.pk).first()
    return _fields(
        product,
        (
            "site_id",
            "episode_id",
            "patient_id",
            "cycle",
            "din",
            "source",
            "origin",
            "donor_id",
            "collected_at",
            "expires_at",
            "regulatory_class",
            "approval_reference",
        ),
    ) | {
        "processing": _fields(processing, PROCESSING_SIGNED) if processing else None,
        "release": _fields(
            release, ("released_by_id", "verified_by_id", "released_at", "criteria", "exceptional", "justification")
        )
        if release
        else None,
    }


def _adverse_event_form(event: AdverseEvent) -> dict[str, Any]:
    return _fields(
        event,
        (
            "site_id",
            "episode_id",
            "patient_id",
            "cycle",
            "term",
            "other_text",
            "description",
            "onset_date",
            "grade",
            "serious",
            "seriousness_criteria",
            "relatedness",
            "relatedness_harvest",
            "relatedness_injection",
            "relatedness_product",
            "action_taken",
            "outcome",
            "resolution_date",
            "reported_by_id",
            "reported_at",
        ),
    )


@dataclass(frozen=True)
class Kind:
    record_type: str
    model: Any  # the Django model class (its manager and DoesNotExist are used)
    words: str  # how a reason names the record
    canonical: Callable[[Any], dict[str, Any]]
    meanings: dict[str, Permission]
    locked_when: Callable[[Any], bool] | None = None  # None: this kind never locks


KINDS: dict[str, Kind] = {
    kind.record_type: kind
    for kind in (
        Kind(
            "consent",
            Consent,
            "consent",
            _consent_form,
            {CONSENT_WITNESS: Permission.CONSENT_RECORD},
            locked_when=lambda c: c.status == "active",
        ),
        Kind(
            "candidacy_decision",
            CandidacyDecision,
            "candidacy decision",
            _candidacy_form,
            {CANDIDACY: Permission.CANDIDACY_DECIDE},
        ),
        Kind(
            "cell_product",
            CellProduct,
            "cell product",
            _product_form,
            {PRODUCT_RELEASE: Permission.PRODUCT_RELEASE, RELEASE_VERIFICATION: Permission.PRODUCT_VERIFY},
            locked_when=lambda p: p.status in ("released", "administered"),
        ),
        Kind(
            "adverse_event",
            AdverseEvent,
            "adverse event",
            _adverse_event_form,
            {},
            locked_when=lambda e: e.outcome in CLOSED_OUTCOMES,
        ),
    )
}


def kind_of(record: models.Model) -> Kind:
    for kind in KINDS.values():
        if isinstance(record, kind.model):
            return kind
    raise LookupError(f"{type(record).__name__} is not a signable or lockable record")


def canonical_form(record_type: str, record: models.Model) -> dict[str, Any]:
    kind = KINDS[record_type]
    if not isinstance(record, kind.model):
        raise LookupError(f"a {type(record).__name__} is not a {kind.words}")
    return {"record_type": record_type, "record_id": str(record.pk)} | kind.canonical(record)


def record_digest(record_type: str, record: models.Model) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of the record's canonical form."""
    # default=str writes ids, dates and decimals as Django reads them back from the database.
    text = json.dumps(
        canonical_form(record_type, record), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
