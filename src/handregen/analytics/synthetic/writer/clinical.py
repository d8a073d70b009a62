"""A synthetic patient's record up to the day of the procedure: registration, episode, consultation with
imaging, candidacy, consent with its signature, the day-of checklist, and where the episode stays."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from handregen.analytics.synthetic.cohort import SyntheticPatient
from handregen.analytics.synthetic.writer.batch import Batch
from handregen.analytics.synthetic.writer.context import SiteContext
from handregen.analytics.synthetic.writer.plan import (
    COMPLAINTS,
    CONSENT_DAY,
    CONSULTATION_DAY,
    DEFERRAL,
    FAMILY,
    FINDINGS,
    GIVEN,
    INELIGIBLE,
    OCCUPATIONS,
    SOFT_FLAG_RATIONALE,
    Plan,
)
from handregen.consent.models import DEFAULT_MEANING, Consent, Signature, content_digest, signed_content
from handregen.evaluation.eligibility import RecordFacts, assess_candidacy
from handregen.evaluation.models import CandidacyDecision, Consultation, ImagingStudy
from handregen.outcomes.schedule import age_on
from handregen.pathway.models import Episode
from handregen.patients.models import Patient
from handregen.patients.wristband import new_wristband_code
from handregen.preparation.instructions import preparation_instructions
from handregen.preparation.models import PreparationChecklist


@dataclass
class Written:
    """What the later builders point to."""

    patient: Patient
    episode: Episode
    consent: Consent | None
    medications: list[dict[str, Any]]


def _medications(rnd: random.Random) -> list[dict[str, Any]]:
    draw = rnd.random()
    paracetamol = {"name": "paracetamol", "drug_class": "analgesic", "dose": "1 g as needed", "flagged": False}
    if draw < 0.04:
        return []
    if draw < 0.10:
        return [paracetamol, {"name": "aspirin", "drug_class": "antiplatelet", "dose": "75 mg daily", "flagged": True}]
    if draw < 0.30:
        return [paracetamol, {"name": "ibuprofen", "drug_class": "nsaid", "dose": "400 mg as needed", "flagged": False}]
    return [paracetamol]


def _treatment(kind: str, day: date | None, joint: str = "", side: str = "") -> dict[str, Any]:
    return {"kind": kind, "date": day.isoformat() if day else None, "joint": joint, "side": side, "notes": ""}


def build_clinical(
    ctx: SiteContext, p: SyntheticPatient, plan: Plan, rnd: random.Random, batch: Batch, patient: Patient | None = None
) -> Written:
    """Rows of registration, episode, evaluation, consent and preparation; each with its audit event. `patient`:
    already registered (the second hand of a bilateral patient), so only a new episode is opened."""
    site, doctor = ctx.site, ctx.physician
    if patient is None:
        patient = _register(ctx, p, rnd, batch)
    episode = Episode(
        id=ctx.new_id(),
        site_id=site.pk,
        patient_id=patient.pk,
        protocol_id=ctx.protocol.pk,
        indication=p.indication,
        side=p.side,
        target_joints=list(p.joints),
        stage=plan.stage,
        responsible_physician_id=doctor.user.pk if plan.decision == "eligible" else None,
    )
    batch.add(
        episode,
        actor=doctor,
        action="episode.withdraw" if plan.withdrawal_reason else "episode.open",
        object_type="episode",
        patient_id=patient.pk,
        episode_id=episode.pk,
        reason=plan.withdrawal_reason,
        changes={
            "stage": [None, plan.stage],
            "indication": [None, p.indication],
            "side": [None, p.side],
            "target_joints": [None, list(p.joints)],
            "protocol": [None, f"{ctx.protocol.code} v{ctx.protocol.version}"],
        },
    )
    written = Written(patient, episode, None, [])
    if plan.consulted:
        _evaluation(ctx, p, plan, rnd, batch, written)
    if plan.consented:
        _consent(ctx, p, batch, written)
    if plan.injected:
        _checklist(ctx, p, batch, written)
    return written


def _evaluation(
    ctx: SiteContext, p: SyntheticPatient, plan: Plan, rnd: random.Random, batch: Batch, w: Written
) -> None:
    seen = p.referred_on + timedelta(days=CONSULTATION_DAY)
    joint, thumb = p.joints[0], p.indication == "thumb_cmc_oa"
    w.medications = _medications(rnd)
    treatments = [_treatment("splint", seen - timedelta(days=rnd.randint(120, 700))), _treatment("analgesics", None)]
    if plan.decision == "deferred":
        treatments.append(
            _treatment("corticosteroid_injection", seen - timedelta(days=rnd.randint(40, 200)), joint, p.side)
        )
    elif rnd.random() < 0.3:
        treatments.append(
            _treatment("corticosteroid_injection", seen - timedelta(days=rnd.randint(400, 1500)), joint, p.side)
        )
    overrides: dict[str, bool] = {}
    comorbidities: list[str] = []
    rationale = ""
    if plan.decision == "ineligible":
        overrides, comorbidities, rationale = INELIGIBLE[p.number % len(INELIGIBLE)]
    comorbidities = list(comorbidities) + [
        c for c, share in (("hypertension", 0.3), ("diabetes", 0.1)) if rnd.random() < share
    ]
    grip = Decimal(str(round(p.baseline.grip_kg, 1)))
    consultation = Consultation(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        episode_id=w.episode.pk,
        patient_id=w.patient.pk,
        seen_on=seen,
        complaint=COMPLAINTS[p.indication],
        symptoms=["pain", "stiffness"] + (["weakness"] if p.baseline.grip_kg < 20 else []),
        symptom_duration_months=rnd.randint(6, 60),
        affected_joints=list(p.joints),
        affected_side=p.side,
        dominant_hand=p.dominant_hand,
        occupation=w.patient.occupation,
        prior_treatments=treatments,
        medications=w.medications,
        comorbidities=comorbidities,
        comorbidity_notes="",
        examination={
            "tenderness": True,
            "swelling": rnd.random() < 0.4,
            "grind_test": "positive" if thumb else "not_done",
            "findings": "",
        },
        nrs_pain_rest=max(0, min(10, round(p.baseline.pain * 0.6))),
        nrs_pain_load=max(0, min(10, round(p.baseline.pain))),
        grip_kg_affected=grip,
        grip_kg_other=min(Decimal(100), (grip * Decimal("1.25")).quantize(Decimal("0.1"))),
        recorded_by_id=ctx.physician.user.pk,
        recorded_at=ctx.at(seen, 9, 30),
    )
    fields = (
        "seen_on",
        "complaint",
        "affected_side",
        "prior_treatments",
        "medications",
        "comorbidities",
        "examination",
        "nrs_pain_rest",
        "nrs_pain_load",
        "grip_kg_affected",
        "grip_kg_other",
    )
    batch.add(
        consultation,
        actor=ctx.physician,
        action="consultation.record",
        object_type="consultation",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        changes={name: [None, getattr(consultation, name)] for name in fields},
    )
    grade = p.kl_grade
    imaging = ImagingStudy(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        episode_id=w.episode.pk,
        patient_id=w.patient.pk,
        consultation_id=consultation.pk,
        modality="xray",
        study_date=seen - timedelta(days=rnd.randint(3, 30)),
        joint=joint,
        findings=FINDINGS[grade],
        kl_grade=None if thumb else grade,
        eaton_littler_stage=p.stage if thumb else "",
        recorded_by_id=ctx.physician.user.pk,
        recorded_at=consultation.recorded_at,
    )
    batch.add(
        imaging,
        actor=ctx.physician,
        action="imaging.record",
        object_type="imaging_study",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        changes={
            "modality": [None, "xray"],
            "study_date": [None, imaging.study_date],
            "joint": [None, joint],
            "kl_grade": [None, imaging.kl_grade],
            "eaton_littler_stage": [None, imaging.eaton_littler_stage],
        },
    )
    if plan.decision is not None:
        _candidacy(ctx, p, plan, consultation, treatments, overrides, rationale, batch, w)


def _candidacy(
    ctx: SiteContext,
    p: SyntheticPatient,
    plan: Plan,
    consultation: Consultation,
    treatments: list[dict[str, Any]],
    overrides: dict[str, bool],
    rationale: str,
    batch: Batch,
    w: Written,
) -> None:
    assert plan.decision is not None
    seen = consultation.seen_on
    criteria = ctx.definition.criteria
    answers = {c.code: c.kind == "inclusion" for c in criteria if c.derived_from is None} | overrides
    into_target = tuple((t["kind"], date.fromisoformat(t["date"])) for t in treatments if t["date"] and t["joint"])
    facts = RecordFacts(
        today=seen,
        age_years=age_on(p.birth_date, seen),
        staged_imaging=True,
        medications=tuple((m["name"], m["drug_class"]) for m in w.medications),
        treatments_into_target=into_target,
    )
    if plan.decision == "deferred":
        rationale = DEFERRAL
    assessment = assess_candidacy(
        protocol=ctx.definition, answers=answers, decision=plan.decision, rationale=rationale, facts=facts
    )
    if plan.decision == "eligible" and assessment.soft_flags_present:
        rationale = SOFT_FLAG_RATIONALE
        assessment = assess_candidacy(
            protocol=ctx.definition, answers=answers, decision=plan.decision, rationale=rationale, facts=facts
        )
    if assessment.refusals or not assessment.complete:
        raise RuntimeError(f"synthetic candidacy refused: {assessment.refusals or assessment.missing}")
    decision = CandidacyDecision(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        episode_id=w.episode.pk,
        patient_id=w.patient.pk,
        consultation_id=consultation.pk,
        protocol_code=ctx.protocol.code,
        protocol_version=ctx.protocol.version,
        answers=assessment.answers,
        derived={code: {"value": d.value, "basis": d.basis} for code, d in assessment.derived.items()},
        soft_flags=assessment.soft_flags_present,
        decision=plan.decision,
        rationale=rationale,
        decided_by_id=ctx.physician.user.pk,
        decided_at=ctx.at(seen, 10),
    )
    batch.add(
        decision,
        actor=ctx.physician,
        action="candidacy.decide",
        object_type="candidacy_decision",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        reason=rationale,
        changes={
            "decision": [None, plan.decision],
            "answers": [None, decision.answers],
            "derived": [None, decision.derived],
            "soft_flags": [None, decision.soft_flags],
            "protocol": [None, f"{decision.protocol_code} v{decision.protocol_version}"],
        },
    )


def _consent(ctx: SiteContext, p: SyntheticPatient, batch: Batch, w: Written) -> None:
    document = ctx.document
    consent = Consent(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        episode_id=w.episode.pk,
        patient_id=w.patient.pk,
        document_id=document.pk,
        discussed_risks=True,
        discussed_benefits=True,
        discussed_alternatives=True,
        discussed_expectations=True,
        recorded_by_id=ctx.physician.user.pk,
        recorded_at=ctx.at(p.referred_on + timedelta(days=CONSENT_DAY), 11),
    )
    signed_at_iso = consent.recorded_at.isoformat()
    name = w.patient.display_name
    content = signed_content(
        consent=consent,
        signer_name=name,
        meaning=DEFAULT_MEANING,
        signed_at_iso=signed_at_iso,
        document_version=document.version,
        document_sha256=document.sha256,
    )
    signature = Signature(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        consent_id=consent.pk,
        signer_name=name,
        meaning=DEFAULT_MEANING,
        signed_at=consent.recorded_at,
        signed_at_iso=signed_at_iso,
        document_version=document.version,
        document_sha256=document.sha256,
        digest=content_digest(content),
        witnessed_by_id=ctx.physician.user.pk,
    )
    batch.add(
        consent,
        actor=ctx.physician,
        action="consent.record",
        object_type="consent",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        changes={
            "status": [None, "active"],
            "document_version": [None, document.version],
            "discussed": [None, consent.discussed],
            "expectation_shown": [None, None],
            "signer_name": [None, name],
            "signature_meaning": [None, DEFAULT_MEANING],
            "signed_at": [None, signed_at_iso],
            "signature_digest": [None, signature.digest],
        },
    )
    batch.add(
        signature,
        actor=ctx.physician,
        action="consent.sign",
        object_type="signature",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        changes={"consent": [None, str(consent.pk)], "digest": [None, signature.digest]},
    )
    w.consent = consent


def _checklist(ctx: SiteContext, p: SyntheticPatient, batch: Batch, w: Written) -> None:
    items = ctx.definition.checklist
    instructions = preparation_instructions(
        preparation=ctx.definition.raw.get("preparation", {}), medications=w.medications
    )
    record = PreparationChecklist(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        episode_id=w.episode.pk,
        patient_id=w.patient.pk,
        cycle=1,
        items={code: {"value": True, "label": label} for code, label in items},
        instructions=instructions.as_dict(),
        consent_id=w.consent.pk if w.consent else None,
        completed_by_id=ctx.nurse.user.pk,
        completed_at=ctx.at(p.injected_on, 7, 30),
    )
    batch.add(
        record,
        actor=ctx.nurse,
        action="preparation.complete",
        object_type="preparation_checklist",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        changes={
            "cycle": [None, 1],
            "checklist": [None, {code: True for code, _ in items}],
            "medication_holds": [None, [h.medication for h in instructions.holds]],
        },
    )


def _register(ctx: SiteContext, p: SyntheticPatient, rnd: random.Random, batch: Batch) -> Patient:
    """The synthetic patient's registration row (is_synthetic, MRN SYN<seed>-<n>) with its audit event."""
    site, doctor, seed = ctx.site, ctx.physician, ctx.seed
    patient = Patient(
        id=ctx.new_id(),
        site_id=site.pk,
        mrn=f"SYN{seed}-{p.number + 1:06d}",
        given_name=rnd.choice(GIVEN[p.sex]),
        family_name=rnd.choice(FAMILY),
        birth_date=p.birth_date,
        sex=p.sex,
        dominant_hand=p.dominant_hand,
        occupation=rnd.choice(OCCUPATIONS),
        wristband_code=new_wristband_code(rnd),
        is_synthetic=True,
    )
    fields = ("mrn", "given_name", "family_name", "birth_date", "sex", "dominant_hand", "occupation", "wristband_code")
    batch.add(
        patient,
        actor=doctor,
        action="patient.register",
        object_type="patient",
        patient_id=patient.pk,
        changes={name: [None, getattr(patient, name)] for name in fields} | {"is_synthetic": [None, True]},
    )
    return patient
