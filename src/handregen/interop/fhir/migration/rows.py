"""Second pass of a migration import: one FHIR resource (as exported by handregen) back into the rows it came
from, with the same ids. Each function takes the import's context and a validated resource and returns the
model rows to insert; a resource that cannot be rebuilt raises `Unbuildable` naming the element.

What the export does not carry gets a stated placeholder (`PLACEHOLDERS`), never a made-up measurement that
could pass for a real one where the model allows none: the rows are marked as imported in their audit events.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models

from handregen.accounts.models import Site, User
from handregen.cellproducts.identifiers import ProductCode, ProductCodeError
from handregen.cellproducts.models import CellProduct, ProcessingRecord
from handregen.cellproducts.regulatory import METHODS, default_regulatory_class
from handregen.consent.models import Consent, ConsentDocument
from handregen.evaluation.models import Consultation, ImagingStudy
from handregen.interop.fhir.clinical import AE_OUTCOME
from handregen.interop.fhir.codes import (
    EXT_CAUSALITY,
    EXT_CYCLE,
    EXT_DOMINANT_HAND,
    EXT_OCCUPATION,
    EXT_SIDE,
    EXT_TIMEPOINT,
    EXT_VARIANT,
    HANDREGEN_CS,
    MRN_SYSTEM,
    PRODUCT_SYSTEM,
    WRISTBAND_SYSTEM,
)
from handregen.interop.fhir.migration.survey import HARVEST_NOTE, Survey, product_used, reference_id
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.pathway.models import Episode, Protocol
from handregen.patients.models import Patient
from handregen.procedures.models import HARVEST_SITES, Harvest, Injection
from handregen.safety.models import AdverseEvent

# Fields a handregen FHIR export does not carry, and what the import writes instead (listed in the batch).
PLACEHOLDERS = {
    "Consultation": "complaint empty, NRS at rest and under load 0, no examination: not in the Encounter",
    "ImagingStudy": "modality X-ray, no findings: the staging Observation carries only the stage",
    "CellProduct": "autologous; expiry = collection; a product neither released nor injected comes back discarded",
    "ProcessingRecord": "volume, nucleated cells and viability 0 (not measured here): not in the product",
    "Harvest": "local anaesthesia: not in the Procedure",
    "Injection": "no anaesthetic; the bedside check reads as the imported product and wristband",
    "FollowUp": "completed ones read as marked done by staff at the last response (or import time)",
    "QuestionnaireResponse": "entered by staff, author unknown; scores as exported, not recomputed",
    "AdverseEvent": "no description or seriousness criteria; reported at import time",
    "Consent": "discussion not recorded, no signature; an inactive consent reads as superseded or withdrawn",
    "Authors": "the importing user stands as the author of records whose author the export does not name",
}
SIDE_OF_SNOMED = {"7771000": "left", "24028007": "right"}
SITE_OF_LABEL = {label: code for code, label in HARVEST_SITES}
METHOD_OF_LABEL = {label: code for code, label in METHODS.items()}
OUTCOME_OF_FHIR = {fhir: code for code, fhir in reversed(AE_OUTCOME.items())}
CONDITION_NOTE = re.compile(r"^handregen episode, stage (?P<stage>\w+)(?: \(closed\))?, protocol \S+ v\S+$")
INJECTION_NOTE = re.compile(r"^(?P<guidance>\w+) guidance; (?P<volume>[\d.]+) mL$")
GRADE_TEXT = re.compile(r"^CTCAE grade (?P<grade>[1-5])$")


class Unbuildable(Exception):
    """The resource lacks what handregen needs to rebuild its record; the message names the element."""


@dataclass
class Context:
    site: Site
    user: User
    now: datetime
    survey: Survey
    protocols: dict[tuple[str, str], Protocol]
    documents: dict[str, ConsentDocument]
    instruments: dict[str, tuple[int, str]]  # code -> (version, label set)
    product_cycles: dict[str, int] = field(default_factory=dict)
    # (patient id, cycle, time point) -> [(episode id, follow-up id)], filled from the database per chunk
    follow_ups: dict[tuple[str, int, str], list[tuple[str, str]]] = field(default_factory=dict)


Rows = list[models.Model]
Build = Callable[[Context, dict[str, Any]], Rows]


def _uuid(text: str | None, element: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise Unbuildable(f"{element}: {text!r} is not a handregen id (a UUID)") from None


def _ref(value: Any, resource_type: str, element: str) -> uuid.UUID:
    return _uuid(reference_id(value, resource_type), f"{element} (a {resource_type} reference)")


def _code(coding: list[dict[str, Any]], kind: str, element: str) -> str:
    found = next((c["code"] for c in coding if c.get("system") == f"{HANDREGEN_CS}/{kind}"), None)
    if not found:
        raise Unbuildable(f"{element}: needs a code of {HANDREGEN_CS}/{kind}")
    return str(found)


def _extensions(r: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for ext in r.get("extension", []):
        values[ext["url"]] = next((v for k, v in ext.items() if k.startswith("value")), None)
    return values


def _at(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _midday(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def patient_rows(ctx: Context, r: dict[str, Any]) -> Rows:
    ext = _extensions(r)
    identifiers = {i.get("system"): i.get("value") for i in r.get("identifier", [])}
    name = next((n for n in r.get("name", []) if n.get("family") and n.get("given")), None)
    if not identifiers.get(MRN_SYSTEM):
        raise Unbuildable(f"identifier: needs an MRN (system {MRN_SYSTEM})")
    if not identifiers.get(WRISTBAND_SYSTEM):
        raise Unbuildable(f"identifier: needs the wristband code (system {WRISTBAND_SYSTEM})")
    if name is None:
        raise Unbuildable("name: needs a family and a given name")
    if ext.get(EXT_DOMINANT_HAND) not in ("left", "right", "ambidextrous"):
        raise Unbuildable(f"extension: needs the dominant hand ({EXT_DOMINANT_HAND})")
    if "birthDate" not in r:
        raise Unbuildable("birthDate: required")
    telecom = {t.get("system"): t.get("value") for t in r.get("telecom", [])}
    tags = {t.get("code") for t in r.get("meta", {}).get("tag", [])}
    return [
        Patient(
            id=_uuid(r["id"], "id"),
            site=ctx.site,
            mrn=identifiers[MRN_SYSTEM],
            given_name=" ".join(name["given"]),
            family_name=name["family"],
            birth_date=date.fromisoformat(r["birthDate"]),
            sex=r.get("gender", "unknown"),
            dominant_hand=ext[EXT_DOMINANT_HAND],
            occupation=ext.get(EXT_OCCUPATION) or "",
            phone=telecom.get("phone") or "",
            email=telecom.get("email") or "",
            postal_code=next((a["postalCode"] for a in r.get("address", []) if a.get("postalCode")), ""),
            wristband_code=identifiers[WRISTBAND_SYSTEM],
            is_synthetic="synthetic" in tags,
            created_at=ctx.now,
        )
    ]


def episode_rows(ctx: Context, r: dict[str, Any]) -> Rows:
    note = CONDITION_NOTE.match(r["note"][0]["text"]) if r.get("note") else None
    if note is None:
        raise Unbuildable("note: must read 'handregen episode, stage <stage>, protocol <code> v<version>'")
    protocol = ctx.protocols.get(ctx.survey.episode_protocol.get(r["id"], ("", "")))
    if protocol is None:
        raise Unbuildable("note: the protocol version it names is not installed here")
    body_site = r["bodySite"][0]
    side = SIDE_OF_SNOMED.get(body_site["coding"][0]["code"])
    if side is None:
        raise Unbuildable("bodySite: needs the SNOMED CT code of the left or right side")
    joints = body_site.get("text", "").split(" ", 1)[1:]
    created = _at(r["recordedDate"])
    return [
        Episode(
            id=_uuid(r["id"], "id"),
            site=ctx.site,
            patient_id=_ref(r["subject"], "Patient", "subject"),
            protocol=protocol,
            indication=_code(r["code"]["coding"], "indication", "code"),
            side=side,
            target_joints=[j for j in joints[0].split(", ") if j] if joints else [],
            stage=note["stage"],
            cycle=ctx.survey.episode_cycles.get(r["id"], 1),
            stage_changed_at=created,
            created_at=created,
        )
    ]


def consultation_rows(ctx: Context, r: dict[str, Any]) -> Rows:
    patient = reference_id(r["subject"], "Patient") or ""
    episode = reference_id(r["reasonReference"][0], "Condition") or ""
    return [
        Consultation(
            id=_uuid(r["id"], "id"),
            site=ctx.site,
            episode_id=_uuid(episode, "reasonReference"),
            patient_id=_uuid(patient, "subject"),
            seen_on=date.fromisoformat(r["period"]["start"]),
            complaint="",
            affected_side=ctx.survey.episode_side.get(episode, "both"),
            dominant_hand=ctx.survey.patients.get(patient, {}).get("hand") or "right",
            nrs_pain_rest=0,
            nrs_pain_load=0,
            recorded_by=ctx.user,
            recorded_at=ctx.now,
        )
    ]


def imaging_rows(ctx: Context, study_id: str, study: dict[str, Any]) -> Rows:
    day = date.fromisoformat(study["date"][:10])
    patient = study["patient"] or ""
    seen = sorted(c for c in ctx.survey.consultations.get(patient, []) if c[0] <= day.isoformat())
    seen = seen or sorted(ctx.survey.consultations.get(patient, []))
    if not seen:
        raise Unbuildable("subject: the patient has no Encounter (consultation) to hold the imaging study")
    _, consultation, episode = seen[-1]
    kl = study["stages"].get("kellgren-lawrence")
    return [
        ImagingStudy(
            id=_uuid(study_id, "id"),
            site=ctx.site,
            episode_id=_uuid(episode, "episode"),
            patient_id=_uuid(patient, "subject"),
            consultation_id=_uuid(consultation, "consultation"),
            modality="xray",
            study_date=day,
            kl_grade=int(kl) if kl is not None else None,
            eaton_littler_stage=study["stages"].get("eaton-littler", ""),
            recorded_by=ctx.user,
            recorded_at=ctx.now,
        )
    ]


def product_rows(ctx: Context, r: dict[str, Any]) -> Rows:
    din = ctx.survey.product_din[r["id"]]
    try:
        code = ProductCode(din)
    except ProductCodeError as exc:
        raise Unbuildable(f"identifier: {exc}") from None
    if code.scanned != next(i["value"] for i in r["identifier"] if i.get("system") == PRODUCT_SYSTEM):
        raise Unbuildable("identifier: the check character does not match the identifier")
    episode = ctx.survey.din_episode.get(din)
    if episode is None:
        raise Unbuildable("identifier: no harvest Procedure of this import names this product")
    processing = (r.get("processing") or [None])[0]
    method = METHOD_OF_LABEL.get(processing.get("description", "")) if processing else None
    if processing and method is None:
        raise Unbuildable("processing.description: not a processing method handregen knows")
    injected = ctx.survey.injected.get(r["id"])
    status = "administered" if injected else "released" if r.get("status") == "available" else "discarded"
    collected = _at(r["collection"]["collectedDateTime"])
    product = CellProduct(
        id=_uuid(r["id"], "id"),
        site=ctx.site,
        episode_id=_uuid(episode, "episode"),
        patient_id=_ref(r["collection"]["source"], "Patient", "collection.source"),
        cycle=ctx.product_cycles.get(r["id"], 1),
        din=din,
        source=_code(r["productCode"]["coding"], "product-source", "productCode"),
        origin="autologous",
        status=status,
        collected_at=collected,
        expires_at=collected,
        regulatory_class=default_regulatory_class(origin="autologous", method=method),
        administered_at=_at(injected) if injected else None,
        created_at=ctx.now,
    )
    rows: Rows = [product]
    if processing:
        ended = _at(processing["timeDateTime"])
        rows.append(
            ProcessingRecord(
                id=uuid.uuid4(),
                site=ctx.site,
                product=product,
                method=str(method),
                output_volume_ml=Decimal(0),
                total_nucleated_cells=0,
                viability_percent=Decimal(0),
                technician=ctx.user,
                started_at=ended,
                ended_at=ended,
                recorded_at=ctx.now,
            )
        )
    return rows


def procedure_rows(ctx: Context, r: dict[str, Any]) -> Rows:
    episode = _ref(r["reasonReference"][0], "Condition", "reasonReference")
    patient = _ref(r["subject"], "Patient", "subject")
    if "performedPeriod" in r:
        return [_harvest(ctx, r, episode, patient)]
    product = product_used(r)
    note = INJECTION_NOTE.match(r["note"][0]["text"]) if r.get("note") else None
    if note is None:
        raise Unbuildable("note: must read '<guidance> guidance; <volume> mL'")
    body_site = r["bodySite"][0]
    din = ctx.survey.product_din.get(product)
    if din is None:
        raise Unbuildable("usedReference: no BiologicallyDerivedProduct of this import has this id")
    return [
        Injection(
            id=_uuid(r["id"], "id"),
            site=ctx.site,
            episode_id=episode,
            patient_id=patient,
            cycle=ctx.product_cycles.get(product, 1),
            product_id=_uuid(product, "usedReference"),
            joint=body_site.get("text", "").split(" ", 1)[-1],
            side=SIDE_OF_SNOMED.get(body_site["coding"][0]["code"], ""),
            guidance=note["guidance"],
            anaesthetic="",
            volume_ml=Decimal(note["volume"]),
            operator=ctx.user,
            performed_at=_at(r["performedDateTime"]),
            scanned_product_code=ProductCode(din).scanned,
            scanned_wristband_code=ctx.survey.patients.get(str(patient), {}).get("wristband", ""),
            verification={"imported": "FHIR migration import: checked at the bedside in the previous system"},
            created_at=ctx.now,
        )
    ]


def _harvest(ctx: Context, r: dict[str, Any], episode: uuid.UUID, patient: uuid.UUID) -> Harvest:
    note = HARVEST_NOTE.match(r["note"][0]["text"]) if r.get("note") else None
    if note is None:
        raise Unbuildable("note: must read 'volume <mL> mL; product <DIN>'")
    product = ctx.survey.din_product.get(note["din"])
    if product is None:
        raise Unbuildable("note: no BiologicallyDerivedProduct of this import has the product it names")
    site_label = r["code"].get("text", "").rsplit(", ", 1)[-1]
    if site_label not in SITE_OF_LABEL:
        raise Unbuildable("code.text: must end with the harvest site (e.g. ', Abdomen')")
    source = _code(r["code"]["coding"], "procedure", "code").removeprefix("harvest_")
    return Harvest(
        id=_uuid(r["id"], "id"),
        site=ctx.site,
        episode_id=episode,
        patient_id=patient,
        cycle=ctx.product_cycles.get(product, 1),
        product_id=_uuid(product, "product"),
        source=source,
        origin="autologous",
        volume_ml=Decimal(note["volume"]),
        harvest_site=SITE_OF_LABEL[site_label],
        anaesthesia="local",
        operator=ctx.user,
        started_at=_at(r["performedPeriod"]["start"]),
        ended_at=_at(r["performedPeriod"]["end"]),
        created_at=ctx.now,
    )


def follow_up_rows(ctx: Context, r: dict[str, Any]) -> Rows:
    episode_id, _, cycle_text = r["id"].rpartition("-cycle-")
    episode = _uuid(episode_id, "id (<episode>-cycle-<n>)")
    cycle = int(cycle_text)
    patient = reference_id(r["subject"], "Patient") or ""
    protocol = ctx.protocols.get(ctx.survey.episode_protocol.get(episode_id, ("", "")))
    points = {p.code: p for p in protocol.definition.follow_up} if protocol else {}
    rows: Rows = []
    for activity in r.get("activity", []):
        detail = activity["detail"]
        coding = detail["code"]["coding"][0]
        timepoint, label = coding["code"], coding.get("display", coding["code"])
        period = detail.get("scheduledPeriod") or {}
        due_from = date.fromisoformat(period["start"]) if "start" in period else None
        point = points.get(timepoint)
        due_on = due_from + timedelta(days=point.window_before) if point and due_from else None
        described = detail.get("description", "").removeprefix(f"{label}: ")
        done = detail.get("status") == "completed"
        answered = ctx.survey.answered.get((patient, cycle, timepoint))
        rows.append(
            FollowUp(
                id=uuid.uuid4(),
                site=ctx.site,
                patient_id=_uuid(patient, "subject"),
                episode_id=episode,
                cycle=cycle,
                timepoint=timepoint,
                label=label,
                days=point.days if point else None,
                injected_on=due_on - timedelta(days=point.days) if point and due_on else None,
                due_on=due_on,
                due_from=due_from,
                due_until=date.fromisoformat(period["end"]) if "end" in period else None,
                instruments=[i for i in described.split(", ") if i],
                completed_at=(_at(answered) if answered else ctx.now) if done else None,
                completion="staff" if done else "",
                completion_note="Imported as completed (FHIR migration import)" if done else "",
                created_at=ctx.now,
            )
        )
    return rows


def response_rows(ctx: Context, r: dict[str, Any]) -> Rows:
    ext = _extensions(r)
    patient = reference_id(r["subject"], "Patient") or ""
    timepoint, cycle = ext.get(EXT_TIMEPOINT), int(ext.get(EXT_CYCLE) or 1)
    if not timepoint:
        raise Unbuildable(f"extension: needs the follow-up time point ({EXT_TIMEPOINT})")
    candidates = ctx.follow_ups.get((patient, cycle, str(timepoint)))
    if not candidates:
        raise Unbuildable(f"extension: no CarePlan activity {timepoint} of cycle {cycle} for the subject")
    # basedOn names the episode's follow-up schedule (CarePlan "<episode>-cycle-<n>"): a patient treated on both
    # hands has a follow-up of the same time point in each episode. Older exports lack it: the latest episode.
    plans = [reference_id(b, "CarePlan") or "" for b in r.get("basedOn", [])]
    named = {plan.split("-cycle-", 1)[0] for plan in plans if "-cycle-" in plan}
    chosen = [c for c in candidates if c[0] in named] or candidates
    episode, follow_up = chosen[-1]
    instrument = r.get("questionnaire", "").split("|", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if instrument not in ctx.instruments:
        raise Unbuildable(f"questionnaire: {instrument or '(none)'} is not an instrument handregen scores")
    version, label_set = ctx.instruments[instrument]
    score = ctx.survey.scores.get(r["id"])
    return [
        QuestionnaireResponse(
            id=_uuid(r["id"], "id"),
            site=ctx.site,
            patient_id=_uuid(patient, "subject"),
            episode_id=_uuid(episode, "episode"),
            follow_up_id=_uuid(follow_up, "follow-up"),
            instrument=instrument,
            instrument_version=version,
            side=ext.get(EXT_SIDE) or "",
            variant=ext.get(EXT_VARIANT) or "",
            answers={item["linkId"]: _answer(item["answer"][0]) for item in r.get("item", []) if item.get("answer")},
            total=score["total"] if score else None,
            subscales=score["subscales"] if score else {},
            scorable=score is not None,
            scoring_version=score["scoring_version"] if score else "",
            label_set=label_set,
            source="staff",
            entered_at=_at(r["authored"]),
        )
    ]


def _answer(answer: dict[str, Any]) -> Any:
    for name, value in answer.items():
        if name == "valueCoding":
            return value.get("code")
        if name.startswith("value"):
            return value
    return None


def _extension_value(r: dict[str, Any]) -> dict[str, Any]:
    for extension in r.get("extension", []):
        if extension.get("url") == EXT_CAUSALITY:
            return dict(extension.get("valueCodeableConcept", {}))
    return {}


def adverse_event_rows(ctx: Context, r: dict[str, Any]) -> Rows:
    event = r["event"]
    coding = event["coding"][0]
    grade = GRADE_TEXT.match(r.get("severity", {}).get("text", ""))
    if grade is None:
        raise Unbuildable("severity.text: must read 'CTCAE grade <1-5>'")
    suspects = r.get("suspectEntity") or [{}]
    history = [reference_id(h, "Condition") for h in r.get("subjectMedicalHistory", [])]
    # Older exports named the episode's Condition as the suspect entity (which R4 does not allow).
    episode = next((h for h in history if h), None) or reference_id(suspects[0].get("instance"), "Condition") or ""
    causality = suspects[0]["causality"][0]["assessment"] if "causality" in suspects[0] else _extension_value(r)
    onset = date.fromisoformat(r["date"][:10])
    injections = ctx.survey.episode_injections.get(episode, [])
    outcome = r.get("outcome", {}).get("coding", [{}])[0].get("code", "unknown")
    return [
        AdverseEvent(
            id=_uuid(r["id"], "id"),
            site=ctx.site,
            patient_id=_ref(r["subject"], "Patient", "subject"),
            episode_id=_uuid(episode, "suspectEntity.instance"),
            cycle=max(1, sum(1 for day in injections if day <= onset.isoformat())),
            term=_code(event["coding"], "adverse-event", "event"),
            other_text=event.get("text", "") if event.get("text") != coding.get("display") else "",
            onset_date=onset,
            grade=int(grade["grade"]),
            serious=r["seriousness"]["coding"][0]["code"].lower() == "serious",
            relatedness=_code(causality.get("coding", []), "who-umc", "suspectEntity.causality"),
            outcome=OUTCOME_OF_FHIR.get(outcome, "unknown"),
            reported_by=ctx.user,
            reported_at=ctx.now,
        )
    ]


def consent_rows(ctx: Context, r: dict[str, Any]) -> Rows:
    patient = reference_id(r["patient"], "Patient") or ""
    recorded = _at(r["dateTime"])
    version = next((c["code"] for c in r.get("policyRule", {}).get("coding", [])), None)
    document = ctx.documents.get(str(version))
    if document is None:
        raise Unbuildable(f"policyRule: consent document {version} is not installed here")
    episode = ctx.survey.episode_of(patient, recorded.date())
    if episode is None:
        raise Unbuildable("patient: the patient has no Condition (episode) in this import")
    later = any(t > r["dateTime"] for t in ctx.survey.consents.get(patient, []))
    status = "active" if r["status"] == "active" else "superseded" if later else "withdrawn"
    return [
        Consent(
            id=_uuid(r["id"], "id"),
            site=ctx.site,
            episode_id=_uuid(episode, "episode"),
            patient_id=_uuid(patient, "patient"),
            document=document,
            status=status,
            recorded_by=ctx.user,
            recorded_at=recorded,
            withdrawn_reason="Withdrawn in the previous system (FHIR migration import)"
            if status == "withdrawn"
            else "",
        )
    ]


BUILD: dict[str, Build] = {
    "Patient": patient_rows,
    "Condition": episode_rows,
    "Encounter": consultation_rows,
    "BiologicallyDerivedProduct": product_rows,
    "Procedure": procedure_rows,
    "CarePlan": follow_up_rows,
    "QuestionnaireResponse": response_rows,
    "AdverseEvent": adverse_event_rows,
    "Consent": consent_rows,
}
