"""REST endpoints for the consultation (with imaging) and the candidacy decision (DESIGN.md §9)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from handregen.accounts.actor import actor_of
from handregen.api_inputs import IsoDate
from handregen.errors import InvalidInput
from handregen.evaluation import selectors, services
from handregen.evaluation.models import CandidacyDecision, Consultation
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.api import EpisodeOut, episode_out

router = Router(tags=["episodes"])

TreatmentKind = Literal[
    "splint", "analgesics", "nsaids", "corticosteroid_injection", "hyaluronic_injection", "hand_therapy", "surgery",
    "other",
]  # fmt: skip
DrugClass = Literal[
    "nsaid", "anticoagulant", "antiplatelet", "analgesic", "oral_corticosteroid", "immunomodulator", "other"
]
Symptom = Literal["pain", "stiffness", "weakness", "swelling", "deformity", "instability", "numbness"]
Comorbidity = Literal[
    "diabetes", "hypertension", "rheumatoid_arthritis", "psoriatic_arthritis", "gout", "fibromyalgia",
    "bleeding_disorder", "malignancy_history", "carpal_tunnel", "de_quervain", "smoker", "other",
]  # fmt: skip


class PriorTreatmentIn(Schema):
    kind: TreatmentKind
    date: IsoDate | None = Field(
        None,
        description="When it was given (for a course, when it started). Required for injections and surgery, "
        "which are single dated events; never in the future. A corticosteroid injection's date decides the "
        "protocol's `recent_corticosteroid_injection` flag.",
    )
    joint: str = Field(
        "", max_length=16, description="Joint treated, e.g. CMC1; left out, an injection counts as into the target"
    )
    side: Literal["left", "right"] | None = None
    notes: str = Field("", max_length=1000)


class MedicationIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    drug_class: DrugClass = Field(
        description="Coded class; anticoagulants and antiplatelets are flagged, and the protocol's medication "
        "holds are read from these classes"
    )
    dose: str = Field("", max_length=120)


class ExaminationIn(Schema):
    tenderness: bool | None = None
    swelling: bool | None = None
    deformity: bool | None = None
    subluxation: bool | None = None
    grind_test: Literal["positive", "negative", "not_done"] = "not_done"
    findings: str = Field("", max_length=4000)


class ImagingIn(Schema):
    modality: Literal["xray", "mri", "ultrasound"]
    date: IsoDate = Field(description="Date of the study; never in the future")
    joint: str = Field("", max_length=16, description="Joint read, e.g. CMC1 (default: the episode's target)")
    findings: str = Field("", max_length=4000)
    kl_grade: int | None = Field(None, ge=0, le=4, description="Kellgren-Lawrence grade 0-4")
    kl_definition: Literal["possible_narrowing", "definite_narrowing"] = Field(
        "possible_narrowing", description="Which published wording of KL grade 2 the reader used"
    )
    eaton_littler_stage: Literal["I", "II", "III", "IV"] | None = Field(
        None, description="Eaton-Littler stage, thumb base (CMC1) only, read on a true lateral radiograph"
    )


class BaselineIn(Schema):
    nrs_pain_rest: int | None = Field(None, ge=0, le=10)
    nrs_pain_load: int | None = Field(None, ge=0, le=10)
    grip_kg_affected: float | None = Field(None, ge=0, le=100)
    grip_kg_other: float | None = Field(None, ge=0, le=100)


class ConsultationIn(Schema):
    """History, examination, imaging and baseline measures.

    Required: `complaint` and the baseline pain (NRS 0-10 at rest and on load, either at the top level or inside
    `baseline`). Everything else is optional: affected joints and side default to the episode's, the dominant
    hand and occupation to the patient's, `seen_on` to today.
    """

    complaint: str = Field(min_length=1, max_length=4000, description="The patient's complaint in their words")
    seen_on: IsoDate | None = Field(None, description="Date of the consultation (default today); not in the future")
    symptoms: list[Symptom] = Field(default_factory=list)
    symptom_duration_months: int | None = Field(None, ge=0, le=1200)
    affected_joints: list[str] | None = Field(None, max_length=20, description="Joint codes, e.g. CMC1, PIP2")
    affected_side: Literal["left", "right", "both"] | None = None
    dominant_hand: Literal["left", "right", "ambidextrous"] | None = None
    occupation: str | None = Field(None, max_length=120)
    prior_treatments: list[PriorTreatmentIn] = Field(default_factory=list, max_length=50)
    medications: list[MedicationIn] = Field(default_factory=list, max_length=50)
    comorbidities: list[Comorbidity] = Field(default_factory=list)
    comorbidity_notes: str = Field("", max_length=4000)
    examination: ExaminationIn | None = None
    imaging: list[ImagingIn] = Field(default_factory=list, max_length=20)
    nrs_pain_rest: int | None = Field(None, ge=0, le=10, description="Baseline pain at rest, NRS 0-10")
    nrs_pain_load: int | None = Field(None, ge=0, le=10, description="Baseline pain on load, NRS 0-10")
    grip_kg_affected: float | None = Field(None, ge=0, le=100, description="Grip strength of the affected hand, kg")
    grip_kg_other: float | None = Field(None, ge=0, le=100, description="Grip strength of the other hand, kg")
    baseline: BaselineIn | None = Field(None, description="The baseline measures grouped (same names as above)")


class ConsultationSummary(Schema):
    id: uuid.UUID
    seen_on: dt.date
    flagged_medications: list[dict[str, Any]]
    imaging_studies: int
    nrs_pain_rest: int
    nrs_pain_load: int


class EpisodeAfterConsultation(EpisodeOut):
    consultation: ConsultationSummary


class CandidacyIn(Schema):
    criteria: dict[str, bool] = Field(
        description="`{criterion_code: true/false}` for every criterion of the episode's protocol. Criteria the "
        "protocol marks `derived_from` (medications, prior treatments) may be left out: they are read from the "
        "consultation, and an answer the record contradicts is refused (409)."
    )
    decision: Literal["eligible", "ineligible", "deferred"]
    rationale: str = Field(
        "",
        max_length=4000,
        description="Why. Required for ineligible and deferred, and for eligible when a soft flag is present "
        "(the documented decision).",
    )
    password: str = Field("", max_length=200, description="The physician's own password: they sign the decision")
    otp_code: str = Field("", max_length=12, description="A current authenticator code, when they have one")


class CandidacySummary(Schema):
    id: uuid.UUID
    decision: str
    answers: dict[str, bool]
    derived: dict[str, Any]
    soft_flags: list[str]
    rationale: str
    decided_by: str


class EpisodeAfterCandidacy(EpisodeOut):
    candidacy: CandidacySummary


def _baseline(payload: ConsultationIn) -> dict[str, Any]:
    nested = payload.baseline or BaselineIn(
        nrs_pain_rest=None, nrs_pain_load=None, grip_kg_affected=None, grip_kg_other=None
    )
    values = {
        name: getattr(payload, name) if getattr(payload, name) is not None else getattr(nested, name)
        for name in ("nrs_pain_rest", "nrs_pain_load", "grip_kg_affected", "grip_kg_other")
    }
    missing = [name for name in ("nrs_pain_rest", "nrs_pain_load") if values[name] is None]
    if missing:
        raise InvalidInput([(name, "baseline pain (NRS 0-10) is needed") for name in missing])
    return values


def consultation_summary(consultation: Consultation) -> dict[str, Any]:
    return {
        "id": consultation.pk,
        "seen_on": consultation.seen_on,
        "flagged_medications": consultation.flagged_medications,
        "imaging_studies": consultation.imaging_studies.count(),
        "nrs_pain_rest": consultation.nrs_pain_rest,
        "nrs_pain_load": consultation.nrs_pain_load,
    }


def candidacy_summary(record: CandidacyDecision) -> dict[str, Any]:
    return {
        "id": record.pk,
        "decision": record.decision,
        "answers": record.answers,
        "derived": record.derived,
        "soft_flags": record.soft_flags,
        "rationale": record.rationale,
        "decided_by": record.decided_by.get_full_name() or record.decided_by.get_username(),
    }


@router.post(
    "/{episode_id}/consultation",
    response=EpisodeAfterConsultation,
    summary="Record the consultation (history, examination, imaging, baseline); stage 'consulted'",
)
def consultation_create(request: HttpRequest, episode_id: uuid.UUID, payload: ConsultationIn) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    data = payload.dict(exclude={"baseline"}) | _baseline(payload)
    data["examination"] = payload.examination.dict() if payload.examination else None
    data["imaging"] = [item.dict() for item in payload.imaging]
    consultation = services.consultation_record(actor=actor, episode=episode, **data)
    moved = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    return episode_out(request, moved) | {"consultation": consultation_summary(consultation)}


@router.post(
    "/{episode_id}/candidacy",
    response=EpisodeAfterCandidacy,
    summary="Decide candidacy against the protocol; stage eligible, ineligible or deferred",
    description="Missing criteria → 422 listing them; eligible with a hard exclusion, an unmet inclusion, a soft "
    "flag without a rationale or an answer the record contradicts → 409 naming each.",
)
def candidacy_create(request: HttpRequest, episode_id: uuid.UUID, payload: CandidacyIn) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    record = services.candidacy_decide(
        actor=actor,
        episode=episode,
        criteria=payload.criteria,
        decision=payload.decision,
        rationale=payload.rationale,
        password=payload.password,
        otp_code=payload.otp_code,
    )
    moved = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    return episode_out(request, moved) | {"candidacy": candidacy_summary(record)}


class ImagingOut(Schema):
    id: uuid.UUID
    modality: str
    study_date: dt.date
    joint: str
    findings: str
    kl_grade: int | None
    kl_definition: str
    eaton_littler_stage: str


class EvaluationOut(Schema):
    consultation: dict[str, Any] | None
    imaging: list[ImagingOut]
    candidacy: CandidacySummary | None


@router.get("/{episode_id}/evaluation", response=EvaluationOut, summary="The latest consultation, imaging and decision")
def evaluation_detail(request: HttpRequest, episode_id: uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    found = selectors.evaluation_of(actor=actor, episode=episode, channel="api")
    consultation = found["consultation"]
    return {
        "consultation": None
        if consultation is None
        else {
            "id": str(consultation.pk),
            "seen_on": consultation.seen_on.isoformat(),
            "complaint": consultation.complaint,
            "symptoms": consultation.symptoms,
            "symptom_duration_months": consultation.symptom_duration_months,
            "affected_joints": consultation.affected_joints,
            "affected_side": consultation.affected_side,
            "dominant_hand": consultation.dominant_hand,
            "occupation": consultation.occupation,
            "prior_treatments": consultation.prior_treatments,
            "medications": consultation.medications,
            "comorbidities": consultation.comorbidities,
            "examination": consultation.examination,
            "nrs_pain_rest": consultation.nrs_pain_rest,
            "nrs_pain_load": consultation.nrs_pain_load,
            "grip_kg_affected": float(consultation.grip_kg_affected)
            if consultation.grip_kg_affected is not None
            else None,
            "grip_kg_other": float(consultation.grip_kg_other) if consultation.grip_kg_other is not None else None,
        },
        "imaging": found["imaging"],
        "candidacy": candidacy_summary(found["candidacy"]) if found["candidacy"] else None,
    }
