"""Rows of many patients gathered per model, then inserted model by model with one audit event per row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models, transaction

from handregen.accounts.actor import Actor
from handregen.aftercare.models import PostCareRecord
from handregen.audit.services import audited_bulk_create
from handregen.cellproducts.models import CellProduct, CustodyEvent, ProcessingRecord, ReleaseDecision
from handregen.consent.models import Consent, Signature
from handregen.evaluation.models import CandidacyDecision, Consultation, ImagingStudy
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.pathway.models import Episode
from handregen.patients.models import Patient
from handregen.preparation.models import PreparationChecklist
from handregen.procedures.models import Harvest, Injection
from handregen.safety.models import AdverseEvent, Reintervention, SafetyAlert

# Insertion order: every row after the rows it points to.
ORDER: tuple[type[models.Model], ...] = (
    Patient,
    Episode,
    Consultation,
    ImagingStudy,
    CandidacyDecision,
    Consent,
    Signature,
    PreparationChecklist,
    CellProduct,
    Harvest,
    ProcessingRecord,
    ReleaseDecision,
    CustodyEvent,
    Injection,
    PostCareRecord,
    FollowUp,
    QuestionnaireResponse,
    AdverseEvent,
    SafetyAlert,
    Reintervention,
)


class Batch:
    """Rows waiting to be written, grouped by model and author; each row with the audit event it gets."""

    def __init__(self) -> None:
        self.rows: dict[tuple[type[models.Model], str], list[models.Model]] = {}
        self.actors: dict[str, Actor | None] = {}
        self.audit: dict[int, dict[str, Any]] = {}

    def add(
        self,
        obj: models.Model,
        *,
        actor: Actor | None,
        action: str,
        object_type: str,
        changes: Mapping[str, Any],
        patient_id: Any,
        episode_id: Any = None,
        reason: str = "",
        object_id: Any = None,
    ) -> None:
        key = actor.user.username if actor is not None else ""
        self.actors[key] = actor
        self.rows.setdefault((type(obj), key), []).append(obj)
        self.audit[id(obj)] = {
            "action": action,
            "object_type": object_type,
            "object_id": obj.pk if object_id is None else object_id,
            "changes": changes,
            "patient_id": patient_id,
            "episode_id": episode_id,
            "reason": reason,
        }

    def count(self, model: type[models.Model]) -> int:
        return sum(len(rows) for (kind, _), rows in self.rows.items() if kind is model)

    def write(self, site: Any) -> None:
        """Insert every row, model by model in `ORDER`, in one transaction with the audit events."""
        unknown = {kind for kind, _ in self.rows} - set(ORDER)
        if unknown:
            raise RuntimeError(f"no insertion order for {sorted(k.__name__ for k in unknown)}")
        with transaction.atomic():
            for model in ORDER:
                for (kind, key), rows in self.rows.items():
                    if kind is model and rows:
                        audited_bulk_create(
                            actor=self.actors[key],
                            site=site,
                            action=self.audit[id(rows[0])]["action"],
                            objects=rows,
                            describe=lambda obj: self.audit[id(obj)],
                        )
