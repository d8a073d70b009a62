"""Recording the consultation (with imaging) and deciding candidacy: the `consultation` and `candidacy` steps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.reauth import reauthenticate
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.errors import InvalidInput
from handregen.evaluation import codes
from handregen.evaluation.eligibility import DECISIONS, RecordFacts, assess_candidacy
from handregen.evaluation.models import CandidacyDecision, Consultation, ImagingStudy
from handregen.evaluation.selectors import latest_consultation
from handregen.evaluation.signing import CANDIDACY
from handregen.pathway.models import Episode
from handregen.pathway.services import JOINTS, episode_lock, episode_move, refusals_audited
from handregen.signatures.services import signature_write

Errors = list[tuple[str, str]]
EXAMINATION_FLAGS = ("tenderness", "swelling", "deformity", "subluxation")
MAX_GRIP_KG = Decimal(100)


def _as_date(value: Any, field: str, errors: Errors, *, today: date, required: bool = True) -> date | None:
    if value in (None, ""):
        if required:
            errors.append((field, "a date is needed (YYYY-MM-DD)"))
        return None
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            errors.append((field, "must be a date (YYYY-MM-DD)"))
            return None
    if day > today:
        errors.append((field, "is in the future; a past event needs a date on or before today"))
        return None
    if day.year < today.year - 100:
        errors.append((field, "is more than 100 years ago"))
        return None
    return day


def _choice(value: Any, field: str, choices: list[tuple[str, str]], errors: Errors) -> str | None:
    allowed = codes.codes(choices)
    if value not in allowed:
        errors.append((field, f"must be one of {', '.join(allowed)}"))
        return None
    return str(value)


def _joint(value: Any, field: str, errors: Errors) -> str:
    joint = str(value or "").upper()
    if joint and joint not in JOINTS:
        errors.append((field, f"unknown joint {joint}; use e.g. CMC1, PIP2, DIP3, RADIOCARPAL"))
    return joint


def _grip(value: Any, field: str, errors: Errors) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        kg = Decimal(str(value))
    except InvalidOperation:
        kg = Decimal("NaN")
    if isinstance(value, bool) or not kg.is_finite() or not Decimal(0) <= kg <= MAX_GRIP_KG:
        errors.append((field, f"must be a number of kg from 0 to {MAX_GRIP_KG}"))
        return None
    return kg.quantize(Decimal("0.1"))


def _nrs(value: Any, field: str, errors: Errors) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        errors.append((field, "must be a whole number from 0 (no pain) to 10 (worst pain imaginable)"))
        return None
    return value


def _prior_treatments(items: Iterable[Mapping[str, Any]], today: date, errors: Errors) -> list[dict[str, Any]]:
    cleaned = []
    for i, item in enumerate(items):
        where = f"prior_treatments[{i}]"
        kind = _choice(item.get("kind"), f"{where}.kind", codes.PRIOR_TREATMENTS, errors)
        day = _as_date(item.get("date"), f"{where}.date", errors, today=today, required=kind in codes.DATED_TREATMENTS)
        side = item.get("side") or ""
        if side and side not in ("left", "right"):
            errors.append((f"{where}.side", "must be left or right"))
        cleaned.append(
            {
                "kind": kind,
                "date": day.isoformat() if day else None,
                "joint": _joint(item.get("joint"), f"{where}.joint", errors),
                "side": side,
                "notes": str(item.get("notes") or "").strip(),
            }
        )
    return cleaned


def _medications(items: Iterable[Mapping[str, Any]], errors: Errors) -> list[dict[str, Any]]:
    cleaned = []
    for i, item in enumerate(items):
        where = f"medications[{i}]"
        name = str(item.get("name") or "").strip()
        if not name:
            errors.append((f"{where}.name", "name the medicine"))
        drug_class = _choice(item.get("drug_class"), f"{where}.drug_class", codes.DRUG_CLASSES, errors)
        cleaned.append(
            {
                "name": name,
                "drug_class": drug_class,
                "dose": str(item.get("dose") or "").strip(),
                "flagged": drug_class in codes.FLAGGED_DRUG_CLASSES,
            }
        )
    return cleaned


def _examination(data: Mapping[str, Any] | None, errors: Errors) -> dict[str, Any]:
    data = dict(data or {})
    unknown = sorted(set(data) - {*EXAMINATION_FLAGS, "grind_test", "findings"})
    for name in unknown:
        errors.append((f"examination.{name}", "is not a field of the examination"))
    cleaned: dict[str, Any] = {}
    for flag in EXAMINATION_FLAGS:
        if flag in data and data[flag] is not None:
            if not isinstance(data[flag], bool):
                errors.append((f"examination.{flag}", "must be true or false"))
            cleaned[flag] = bool(data[flag])
    cleaned["grind_test"] = (
        _choice(data.get("grind_test", "not_done"), "examination.grind_test", codes.GRIND_TEST, errors) or "not_done"
    )
    cleaned["findings"] = str(data.get("findings") or "").strip()
    return cleaned


def _imaging(items: Iterable[Mapping[str, Any]], episode: Episode, today: date, errors: Errors) -> list[dict[str, Any]]:
    cleaned = []
    for i, item in enumerate(items):
        where = f"imaging[{i}]"
        modality = _choice(item.get("modality"), f"{where}.modality", codes.MODALITIES, errors)
        day = _as_date(item.get("date"), f"{where}.date", errors, today=today)
        joint = _joint(item.get("joint"), f"{where}.joint", errors)
        kl = item.get("kl_grade")
        if kl is not None and (isinstance(kl, bool) or not isinstance(kl, int) or not 0 <= kl <= 4):
            errors.append((f"{where}.kl_grade", "must be a Kellgren-Lawrence grade from 0 to 4"))
            kl = None
        stage = str(item.get("eaton_littler_stage") or "").upper()
        if stage and stage not in codes.EATON_LITTLER:
            errors.append((f"{where}.eaton_littler_stage", "must be an Eaton-Littler stage I, II, III or IV"))
            stage = ""
        thumb = joint == "CMC1" or (not joint and "CMC1" in episode.target_joints)
        if stage and not thumb:
            errors.append((f"{where}.eaton_littler_stage", "applies to the thumb base (CMC1) only"))
        definition = item.get("kl_definition") or "possible_narrowing"
        _choice(definition, f"{where}.kl_definition", codes.KL_DEFINITIONS, errors)
        cleaned.append(
            {
                "modality": modality,
                "study_date": day,
                "joint": joint,
                "findings": str(item.get("findings") or "").strip(),
                "kl_grade": kl,
                "kl_definition": definition,
                "eaton_littler_stage": stage,
            }
        )
    return cleaned


@refusals_audited("consultation")
def consultation_record(
    *,
    actor: Actor,
    episode: Episode | Any,
    complaint: str,
    nrs_pain_rest: int,
    nrs_pain_load: int,
    seen_on: date | None = None,
    symptoms: Iterable[str] = (),
    symptom_duration_months: int | None = None,
    affected_joints: Iterable[str] | None = None,
    affected_side: str | None = None,
    dominant_hand: str | None = None,
    occupation: str | None = None,
    prior_treatments: Iterable[Mapping[str, Any]] = (),
    medications: Iterable[Mapping[str, Any]] = (),
    comorbidities: Iterable[str] = (),
    comorbidity_notes: str = "",
    examination: Mapping[str, Any] | None = None,
    grip_kg_affected: Any = None,
    grip_kg_other: Any = None,
    imaging: Iterable[Mapping[str, Any]] = (),
) -> Consultation:
    """Record the consultation with its imaging studies and baseline measures; the episode becomes `consulted`.

    Left out, the affected joints and side default to the episode's, the dominant hand and occupation to the
    patient's, the date seen to today. Prior treatments that are single events (injections, surgery) need a
    date; no date of a past event may be in the future.
    """
    actor.require(Permission.CONSULTATION_RECORD)
    locked = episode_lock(actor=actor, episode=episode)
    today = actor.site.today()
    errors: Errors = []
    seen = _as_date(seen_on or today, "seen_on", errors, today=today) or today
    if not str(complaint or "").strip():
        errors.append(("complaint", "say what the patient complains of"))
    rest = _nrs(nrs_pain_rest, "nrs_pain_rest", errors)
    load = _nrs(nrs_pain_load, "nrs_pain_load", errors)
    symptom_codes = list(symptoms)
    for s in symptom_codes:
        _choice(s, "symptoms", codes.SYMPTOMS, errors)
    if symptom_duration_months is not None and not 0 <= int(symptom_duration_months) <= 1200:
        errors.append(("symptom_duration_months", "must be from 0 to 1200 months"))
    joints = [_joint(j, "affected_joints", errors) for j in (affected_joints or locked.target_joints)]
    side = _choice(affected_side or locked.side, "affected_side", codes.AFFECTED_SIDES, errors)
    hand = dominant_hand or locked.patient.dominant_hand
    _choice(hand, "dominant_hand", [("left", ""), ("right", ""), ("ambidextrous", "")], errors)
    comorbidity_codes = list(comorbidities)
    for c in comorbidity_codes:
        _choice(c, "comorbidities", codes.COMORBIDITIES, errors)
    treatments = _prior_treatments(prior_treatments, today, errors)
    meds = _medications(medications, errors)
    exam = _examination(examination, errors)
    grip_affected = _grip(grip_kg_affected, "grip_kg_affected", errors)
    grip_other = _grip(grip_kg_other, "grip_kg_other", errors)
    studies = _imaging(imaging, locked, today, errors)
    if errors:
        raise InvalidInput(errors)
    assert rest is not None and load is not None and side is not None

    consultation = Consultation.objects.create(
        site=actor.site,
        episode=locked,
        patient=locked.patient,
        seen_on=seen,
        complaint=complaint.strip(),
        symptoms=symptom_codes,
        symptom_duration_months=symptom_duration_months,
        affected_joints=joints,
        affected_side=side,
        dominant_hand=hand,
        occupation=(locked.patient.occupation if occupation is None else occupation).strip(),
        prior_treatments=treatments,
        medications=meds,
        comorbidities=comorbidity_codes,
        comorbidity_notes=comorbidity_notes.strip(),
        examination=exam,
        nrs_pain_rest=rest,
        nrs_pain_load=load,
        grip_kg_affected=grip_affected,
        grip_kg_other=grip_other,
        recorded_by=actor.user,
        recorded_at=timezone.now(),
    )
    fields = (
        "seen_on", "complaint", "symptoms", "symptom_duration_months", "affected_joints", "affected_side",
        "dominant_hand", "occupation", "prior_treatments", "medications", "comorbidities", "comorbidity_notes",
        "examination", "nrs_pain_rest", "nrs_pain_load", "grip_kg_affected", "grip_kg_other",
    )  # fmt: skip
    audit_record(
        actor=actor,
        action="consultation.record",
        object_type="consultation",
        object_id=consultation.pk,
        changes={name: [None, getattr(consultation, name)] for name in fields},
        patient_id=locked.patient_id,
        episode_id=locked.pk,
    )
    for study in studies:
        row = ImagingStudy.objects.create(
            site=actor.site,
            episode=locked,
            patient=locked.patient,
            consultation=consultation,
            recorded_by=actor.user,
            recorded_at=consultation.recorded_at,
            **study,
        )
        audit_record(
            actor=actor,
            action="imaging.record",
            object_type="imaging_study",
            object_id=row.pk,
            changes={name: [None, value] for name, value in study.items()},
            patient_id=locked.patient_id,
            episode_id=locked.pk,
        )
    episode_move(
        actor=actor,
        episode=locked,
        action="consultation",
        details={"consultation": [None, str(consultation.pk)], "imaging_studies": [None, len(studies)]},
    )
    return consultation


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def record_facts(*, episode: Episode, consultation: Consultation | None, today: date) -> RecordFacts:
    """What the record says for the candidacy rules: age, medications, prior treatments into the target joint."""
    treatments: list[tuple[str, date]] = []
    medications: list[tuple[str, str]] = []
    if consultation is not None:
        for item in consultation.prior_treatments:
            if not item.get("date"):
                continue
            # An injection recorded without a joint or side counts as into the target joint (the safe reading).
            into_target = (not item.get("joint") or item["joint"] in episode.target_joints) and (
                not item.get("side") or item["side"] == episode.side
            )
            if into_target:
                treatments.append((item["kind"], date.fromisoformat(item["date"])))
        medications = [(m["name"], m["drug_class"]) for m in consultation.medications]
    staged = ImagingStudy.objects.filter(episode_id=episode.pk).exclude(kl_grade=None, eaton_littler_stage="").exists()
    return RecordFacts(
        today=today,
        age_years=_age(episode.patient.birth_date, today),
        medications=tuple(medications),
        treatments_into_target=tuple(treatments),
        staged_imaging=staged,
    )


@refusals_audited("candidacy")
def candidacy_decide(
    *,
    actor: Actor,
    episode: Episode | Any,
    criteria: Mapping[str, bool],
    decision: str,
    rationale: str = "",
    password: str = "",
    otp_code: str = "",
) -> CandidacyDecision:
    """Decide candidacy against the episode's protocol; the episode becomes eligible, ineligible or deferred.

    Every criterion must be answered (criteria the protocol derives from the record may be left out and are
    read from the latest consultation). `eligible` is refused with a hard exclusion present, an inclusion not
    met, a soft flag present without a rationale, or an answer the record contradicts. Only a physician decides,
    and signs the decision with their `password` (and `otp_code`, if enrolled) given now.
    """
    actor.require(Permission.CANDIDACY_DECIDE)
    errors: Errors = []
    if decision not in DECISIONS:
        errors.append(("decision", f"must be one of {', '.join(DECISIONS)}"))
    rationale = (rationale or "").strip()
    if decision in ("ineligible", "deferred") and not rationale:
        errors.append(
            ("rationale", f"say why the patient is {'not eligible' if decision == 'ineligible' else decision}")
        )
    bad = [code for code, value in criteria.items() if not isinstance(value, bool)]
    errors += [(f"criteria.{code}", "answer true or false") for code in bad]
    if errors:
        raise InvalidInput(errors)
    reauthenticate(user=actor.user, password=password, otp_code=otp_code)
    locked = episode_lock(actor=actor, episode=episode)
    definition = locked.protocol.definition
    consultation = latest_consultation(locked)
    today = actor.site.today()
    assessment = assess_candidacy(
        protocol=definition,
        answers=dict(criteria),
        decision=decision,
        rationale=rationale,
        facts=record_facts(episode=locked, consultation=consultation, today=today),
    )
    if not assessment.complete:
        labels = {c.code: c.label for c in definition.criteria}
        raise InvalidInput(
            [(f"criteria.{code}", f"not answered: {labels[code]}") for code in assessment.missing]
            + [(f"criteria.{code}", "is not a criterion of this protocol") for code in assessment.unknown]
        )
    reasons = list(assessment.refusals)
    if consultation is None:
        reasons.append("No consultation is recorded for this episode; record it before deciding candidacy.")
    if reasons:
        # Stage and role reasons first, then the record's, all in one refusal.
        episode_move(actor=actor, episode=locked, action="candidacy", to=decision, guard_reasons=reasons)
    assert consultation is not None
    record = CandidacyDecision.objects.create(
        site=actor.site,
        episode=locked,
        patient=locked.patient,
        consultation=consultation,
        protocol_code=locked.protocol.code,
        protocol_version=locked.protocol.version,
        answers=assessment.answers,
        derived={code: {"value": d.value, "basis": d.basis} for code, d in assessment.derived.items()},
        soft_flags=assessment.soft_flags_present,
        decision=decision,
        rationale=rationale,
        decided_by=actor.user,
        decided_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="candidacy.decide",
        object_type="candidacy_decision",
        object_id=record.pk,
        changes={
            "decision": [None, decision],
            "answers": [None, record.answers],
            "derived": [None, record.derived],
            "soft_flags": [None, record.soft_flags],
            "protocol": [None, f"{record.protocol_code} v{record.protocol_version}"],
        },
        reason=rationale,
        patient_id=locked.patient_id,
        episode_id=locked.pk,
    )
    signature_write(actor=actor, record=record, meaning=CANDIDACY, signer=actor.user, signer_role=actor.role)
    if decision == "eligible" and locked.responsible_physician_id is None:
        locked.responsible_physician = actor.user
    episode_move(
        actor=actor,
        episode=locked,
        action="candidacy",
        to=decision,
        reason=rationale,
        details={"candidacy_decision": [None, str(record.pk)], "soft_flags": [None, record.soft_flags]},
    )
    return record
