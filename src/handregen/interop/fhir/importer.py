"""FHIR import for migrating an existing registry: Patient, QuestionnaireResponse and Observation resources
from Bundles (JSON) or NDJSON files, written through the patients and outcomes services.

Matching:
- Patient: by the MRN identifier (`codes.MRN_SYSTEM`) at the importing user's site. A new MRN is registered
  through `patient_register`; a known one whose demographics differ is amended through `patient_amend` with the
  reason "FHIR import"; an identical one is left alone. The dominant hand (extension `EXT_DOMINANT_HAND`) is
  required, as handregen needs it; occupation (`EXT_OCCUPATION`) and the synthetic-data tag are optional.
- QuestionnaireResponse: `subject` names a Patient of the same import (by its id there) or a patient of the
  site (by handregen id); `questionnaire` ends in the instrument code; the extensions `EXT_TIMEPOINT` and
  `EXT_CYCLE` (default 1) name the follow-up of the patient's most recent episode, and `EXT_SIDE` /
  `EXT_VARIANT` the hand and pinch type of grip and pinch. It is stored through the outcomes services (scored
  there). A response already stored with the same answers is left alone; different answers are reported, not
  overwritten (amend them in handregen, with a reason).
- Observation: handregen derives scores, grip and pinch from the responses, so an Observation `derivedFrom` a
  QuestionnaireResponse is accepted as derived and writes nothing; any other Observation is reported as not
  imported (staging belongs to the consultation's imaging).

Round trip: this import adds to a site through the live services. Rebuilding a whole exported registry at an
empty site, every resource type with its ids, is the migration import (`interop.fhir.migration`,
`handregen import fhir DIR --migrate`).

Idempotent: importing the same file twice changes no row the second time ("0 changes"). Malformed input gives
one error line per entry (file, line or entry number, reason) and never a traceback; the other entries go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from django.db import transaction
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.errors import HandregenError
from handregen.interop.fhir.codes import (
    EXT_CYCLE,
    EXT_DOMINANT_HAND,
    EXT_OCCUPATION,
    EXT_SIDE,
    EXT_TIMEPOINT,
    EXT_VARIANT,
    MRN_SYSTEM,
)
from handregen.patients.models import Patient

IMPORTED_TYPES = ("Patient", "QuestionnaireResponse", "Observation")
REASON = "FHIR import"


@dataclass
class Entry:
    where: str  # "file:line 3" or "file:entry 2"
    resource: dict[str, Any]


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    amended: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.amended.values())

    def count(self, kind: dict[str, int], resource_type: str) -> None:
        kind[resource_type] = kind.get(resource_type, 0) + 1


class EntryError(Exception):
    """One entry cannot be imported; the message says why in plain words."""


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix in (".json", ".ndjson") and p.name != "manifest.json")
        return found
    return [path]


def read_entries(path: Path, report: ImportReport) -> Iterator[Entry]:
    """Every resource of a file (NDJSON line by line, JSON a Bundle or one resource), errors into `report`."""
    for file in _files(path):
        if path.is_dir() and file.suffix == ".ndjson" and file.stem[:1].isupper() and file.stem not in IMPORTED_TYPES:
            report.skipped.append(f"{file.name}: {file.stem} is not imported (only {', '.join(IMPORTED_TYPES)})")
            continue
        try:
            text = file.read_bytes()
        except OSError as exc:
            report.errors.append(f"{file}: cannot be read ({exc.strerror or exc})")
            continue
        if file.suffix == ".ndjson":
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    report.errors.append(f"{file.name}:line {number}: not JSON ({exc})")
                    continue
                if not isinstance(resource, dict):
                    report.errors.append(f"{file.name}:line {number}: not a FHIR resource (a JSON object)")
                    continue
                yield Entry(f"{file.name}:line {number}", resource)
            continue
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            report.errors.append(f"{file.name}: not JSON ({exc})")
            continue
        if not isinstance(document, dict):
            report.errors.append(f"{file.name}: not a FHIR resource or Bundle (a JSON object)")
        elif document.get("resourceType") == "Bundle":
            for number, item in enumerate(document.get("entry") or [], start=1):
                resource = item.get("resource") if isinstance(item, dict) else None
                if not isinstance(resource, dict):
                    report.errors.append(f"{file.name}:entry {number}: the entry has no resource")
                    continue
                yield Entry(f"{file.name}:entry {number}", resource)
        else:
            yield Entry(f"{file.name}:entry 1", document)


def _validated(entry: Entry) -> Any:
    resource_type = entry.resource.get("resourceType")
    if resource_type not in IMPORTED_TYPES:
        raise EntryError(f"{resource_type or 'a resource without resourceType'} is not imported")
    try:
        return get_fhir_model_class(resource_type).model_validate(entry.resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or resource_type
        raise EntryError(f"invalid {resource_type}: {where}: {first['msg']}") from None


def _extension(resource: Any, url: str) -> Any:
    for ext in resource.extension or []:
        if ext.url == url:
            for name in ("valueCode", "valueInteger", "valueString"):
                value = getattr(ext, name, None)
                if value is not None:
                    return value
    return None


def _patient_fields(resource: Any) -> dict[str, Any]:
    mrn = next((i.value for i in resource.identifier or [] if i.system == MRN_SYSTEM and i.value), None)
    if not mrn:
        raise EntryError(f"no MRN identifier (system {MRN_SYSTEM})")
    name = next((n for n in resource.name or [] if n.family), None)
    if name is None or not name.given:
        raise EntryError("needs a name with family and given parts")
    if resource.birthDate is None:
        raise EntryError("needs a birthDate")
    hand = _extension(resource, EXT_DOMINANT_HAND)
    if hand not in ("left", "right", "ambidextrous"):
        raise EntryError(f"needs the dominant hand (extension {EXT_DOMINANT_HAND}: left, right or ambidextrous)")
    telecom = {t.system: t.value for t in resource.telecom or [] if t.value}
    address = next((a.postalCode for a in resource.address or [] if a.postalCode), "")
    tags = {(t.code or "") for t in (resource.meta.tag if resource.meta and resource.meta.tag else [])}
    birth = resource.birthDate
    return {
        "mrn": mrn,
        "given_name": " ".join(name.given),
        "family_name": name.family,
        "birth_date": birth if isinstance(birth, date) else date.fromisoformat(str(birth)),
        "sex": resource.gender or "unknown",
        "dominant_hand": hand,
        "occupation": _extension(resource, EXT_OCCUPATION) or "",
        "phone": telecom.get("phone", ""),
        "email": telecom.get("email", ""),
        "postal_code": address or "",
        "is_synthetic": "synthetic" in tags,
    }


def _import_patient(actor: Actor, resource: Any, report: ImportReport) -> Patient:
    from handregen.patients.services import patient_amend, patient_register

    fields = _patient_fields(resource)
    existing = Patient.objects.filter(site=actor.site, mrn=fields["mrn"]).first()
    if existing is None:
        patient = patient_register(actor=actor, **fields)
        report.count(report.created, "Patient")
        return patient
    fields.pop("is_synthetic")
    changes = {k: v for k, v in fields.items() if k != "mrn" and getattr(existing, k) != v}
    if not changes:
        report.count(report.unchanged, "Patient")
        return existing
    patient = patient_amend(actor=actor, patient=existing, changes=changes, reason=REASON)
    report.count(report.amended, "Patient")
    return patient


def _answers(resource: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in resource.item or []:
        if not item.answer:
            continue
        answer = item.answer[0]
        for name in ("valueInteger", "valueDecimal", "valueString", "valueBoolean", "valueCoding"):
            value = getattr(answer, name, None)
            if value is not None:
                answers[item.linkId] = float(value) if name == "valueDecimal" else value
                if name == "valueCoding":
                    answers[item.linkId] = value.code
                break
    return answers


def _import_response(actor: Actor, resource: Any, patients: dict[str, Patient], report: ImportReport) -> None:
    from handregen.outcomes.models import FollowUp, QuestionnaireResponse
    from handregen.outcomes.services import response_record
    from handregen.pathway.models import Episode

    reference = (resource.subject.reference or "") if resource.subject else ""
    patient = patients.get(reference)
    if patient is None and reference.startswith("Patient/"):
        patient = Patient.objects.filter(site=actor.site, pk__in=_uuid_or_none(reference[8:])).first()
    if patient is None:
        raise EntryError(f"subject {reference or '(none)'} is not a Patient of this import or of this site")
    instrument = (resource.questionnaire or "").split("|", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not instrument:
        raise EntryError("needs questionnaire (…/Questionnaire/<instrument>)")
    timepoint = _extension(resource, EXT_TIMEPOINT)
    if not timepoint:
        raise EntryError(f"needs the follow-up time point (extension {EXT_TIMEPOINT})")
    cycle = _extension(resource, EXT_CYCLE) or 1
    episode = Episode.objects.filter(patient=patient, site=actor.site).order_by("-created_at").first()
    if episode is None:
        raise EntryError(f"patient {patient.mrn} has no episode here to hold the response")
    follow_up = FollowUp.objects.filter(episode=episode, cycle=cycle, timepoint=timepoint).first()
    if follow_up is None:
        raise EntryError(f"patient {patient.mrn} has no follow-up {timepoint} in cycle {cycle}")
    side = _extension(resource, EXT_SIDE) or ""
    variant = _extension(resource, EXT_VARIANT) or ""
    answers = _answers(resource)
    existing = QuestionnaireResponse.objects.filter(
        follow_up=follow_up, instrument=instrument, variant=variant, **({"side": side} if side else {})
    ).first()
    if existing is not None:
        stored = {k: v for k, v in (existing.answers or {}).items() if v is not None and not isinstance(v, bool)}
        if stored == answers:
            report.count(report.unchanged, "QuestionnaireResponse")
            return
        raise EntryError(
            f"{instrument} at {follow_up.label} is already stored with other answers; amend it in handregen"
        )
    response_record(
        actor=actor,
        follow_up=follow_up,
        instrument=instrument,
        answers=answers,
        side=side or None,
        pinch_type=variant,
    )
    report.count(report.created, "QuestionnaireResponse")


def _uuid_or_none(text: str) -> list[str]:
    import uuid

    try:
        return [str(uuid.UUID(text))]
    except ValueError:
        return []


def import_fhir(*, actor: Actor, path: Path) -> ImportReport:
    """Import every Patient, then every QuestionnaireResponse and Observation, under `path`; one transaction
    per entry, so that a refused entry leaves the others in place."""
    actor.require(Permission.PATIENT_REGISTER)
    actor.require(Permission.FOLLOW_UP_RECORD)
    report = ImportReport()
    entries = list(read_entries(path, report))
    order = {t: n for n, t in enumerate(IMPORTED_TYPES)}
    entries.sort(key=lambda e: order.get(str(e.resource.get("resourceType")), -1))
    patients: dict[str, Patient] = {}
    for entry in entries:
        try:
            resource = _validated(entry)
            resource_type = entry.resource["resourceType"]
            with transaction.atomic():
                if resource_type == "Patient":
                    patient = _import_patient(actor, resource, report)
                    if resource.id:
                        patients[f"Patient/{resource.id}"] = patient
                elif resource_type == "QuestionnaireResponse":
                    _import_response(actor, resource, patients, report)
                elif resource.derivedFrom:
                    report.count(report.unchanged, "Observation")  # derived from a response: scored here
                else:
                    report.skipped.append(f"{entry.where}: Observation not imported (not derived from a response)")
        except EntryError as exc:
            report.errors.append(f"{entry.where}: {exc}")
        except HandregenError as exc:
            report.errors.append(f"{entry.where}: {exc}")
    return report
