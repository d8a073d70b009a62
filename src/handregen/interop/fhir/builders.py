"""Build FHIR R4 resources from handregen records; every resource is validated by its fhir.resources model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db.models import Max
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.resource import Resource

from handregen.audit.models import AuditEvent
from handregen.interop.fhir.codes import (
    BODY_SITE_SIDE,
    CONDITION_CODES,
    EXT_DOMINANT_HAND,
    EXT_OCCUPATION,
    GENDER,
    MRN_SYSTEM,
    WRISTBAND_SYSTEM,
    handregen_code,
)
from handregen.interop.fhir.validation import CHECKER
from handregen.pathway.models import Episode
from handregen.patients.models import Patient


def validated(model: type[Resource], data: dict[str, Any]) -> dict[str, Any]:
    """Validate `data` as a FHIR resource of `model` (raises if invalid) and return it without empty elements.

    The builders write JSON-ready values (ISO strings, numbers), so the pruned input is the resource's JSON form;
    skipping the model's own serialisation halves the cost of a bulk export (a test compares the two). The
    checker validates exactly as `model.model_validate` would, at a fraction of the cost (see `validation`)."""
    if data["resourceType"] != model.get_resource_type():
        raise ValueError(f"{model.__name__} cannot validate a {data['resourceType']}")
    return CHECKER.checked(data)


def last_changed(record_ids: Iterable[Any], *records: str) -> dict[str, datetime]:
    """The time of the latest audit event of each record (by id as text): the last time it was written.

    `records`: the audit object types of the records (the services' `cell_product` and the migration import's
    `cellproduct` alike). Records have no common "updated at" column, but every write is audited in the same
    transaction."""
    keys = sorted({str(i) for i in record_ids})
    if not keys:
        return {}
    kinds = {kind for record in records for kind in (record, record.replace("_", ""))}
    rows = (
        AuditEvent.objects.filter(object_type__in=sorted(kinds), object_id__in=keys)
        .values("object_id")
        .annotate(at=Max("occurred_at"))
        .values_list("object_id", "at")
    )
    return dict(rows)


def meta(version: Any, *times: datetime | None, tag: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """`meta` with `versionId` (the record's version counter) and `lastUpdated` (the latest of `times`)."""
    known = [t for t in times if t is not None]
    return {
        "versionId": str(version),
        "lastUpdated": max(known).isoformat() if known else None,
        "tag": tag or None,
    }


def patient_resources(patients: Sequence[Patient]) -> list[dict[str, Any]]:
    """Patient resources of a batch, with `lastUpdated` from the audit trail (one query for the batch)."""
    changed = last_changed((p.pk for p in patients), "patient")
    return [patient_resource(p, changed.get(str(p.pk))) for p in patients]


def patient_resource(patient: Patient, updated: datetime | None = None) -> dict[str, Any]:
    """`updated`: the last write of the record (see `last_changed`); its creation time when not given."""
    synthetic = [handregen_code("tag", "synthetic", "Synthetic data")] if patient.is_synthetic else None
    return validated(
        FhirPatient,
        {
            "resourceType": "Patient",
            "id": str(patient.pk),
            "meta": meta(patient.version, patient.created_at, updated, tag=synthetic),
            "extension": [
                {"url": EXT_DOMINANT_HAND, "valueCode": patient.dominant_hand},
                *([{"url": EXT_OCCUPATION, "valueString": patient.occupation}] if patient.occupation else []),
            ],
            "identifier": [
                {
                    "use": "usual",
                    "system": MRN_SYSTEM,
                    "value": patient.mrn,
                    "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                    "assigner": {"display": patient.site.name},
                },
                {"use": "secondary", "system": WRISTBAND_SYSTEM, "value": patient.wristband_code},
            ],
            "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
            "gender": GENDER[patient.sex],
            "birthDate": patient.birth_date.isoformat(),
            "telecom": [
                t
                for t in (
                    {"system": "phone", "value": patient.phone} if patient.phone else None,
                    {"system": "email", "value": patient.email} if patient.email else None,
                )
                if t
            ]
            or None,
            "address": [{"postalCode": patient.postal_code}] if patient.postal_code else None,
        },
    )


def condition_resource(episode: Episode, updated: datetime | None = None) -> dict[str, Any]:
    closed = episode.stage in {"completed", "withdrawn", "ineligible"}
    return validated(
        Condition,
        {
            "resourceType": "Condition",
            "id": str(episode.pk),
            "meta": meta(episode.version, episode.created_at, episode.stage_changed_at, updated),
            "clinicalStatus": {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
            },
            "verificationStatus": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}
                ]
            },
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                            "code": "problem-list-item",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [
                    *CONDITION_CODES[episode.indication],
                    handregen_code("indication", episode.indication, episode.get_indication_display()),
                ],
                "text": episode.get_indication_display(),
            },
            "bodySite": [
                {"coding": [BODY_SITE_SIDE[episode.side]], "text": f"{episode.side} {', '.join(episode.target_joints)}"}
            ],
            "subject": {"reference": f"Patient/{episode.patient_id}"},
            "recordedDate": episode.created_at.isoformat(),
            "note": [
                {
                    "text": f"handregen episode, stage {episode.stage}{' (closed)' if closed else ''}, protocol "
                    f"{episode.protocol.code} v{episode.protocol.version}"
                }
            ],
        },
    )


# Resources of one type for a batch of patients, grouped by patient id (one query per type and batch).
Grouped = dict[Any, list[dict[str, Any]]]
BatchResources = Callable[[Sequence[Patient]], Grouped]
# Resource type -> builder of one patient's resources of that type (see `everything`).
PatientResources = Callable[[Patient], list[dict[str, Any]]]


def conditions_for(patients: Sequence[Patient]) -> Grouped:
    grouped: Grouped = defaultdict(list)
    episodes = list(
        Episode.objects.filter(patient__in=patients)
        .select_related("protocol")
        .order_by("patient_id", "created_at", "id")
    )
    changed = last_changed((e.pk for e in episodes), "episode")
    for e in episodes:
        grouped[e.patient_id].append(condition_resource(e, changed.get(str(e.pk))))
    return grouped


def _by_type() -> dict[str, BatchResources]:
    from handregen.interop.fhir import clinical

    return {
        "Condition": conditions_for,
        "Encounter": clinical.encounters_for,
        "Procedure": clinical.procedures_for,
        "BiologicallyDerivedProduct": clinical.products_for,
        "Observation": clinical.observations_for,
        "QuestionnaireResponse": clinical.questionnaire_responses_for,
        "AdverseEvent": clinical.adverse_events_for,
        "Consent": clinical.consents_for,
        "CarePlan": clinical.care_plans_for,
    }


def _one_patient(build: BatchResources) -> PatientResources:
    def of(patient: Patient) -> list[dict[str, Any]]:
        return build([patient]).get(patient.pk, [])

    return of


# Resource type -> builder of a batch of patients' resources of the type, in the order $everything lists them.
BY_TYPE: dict[str, BatchResources] = _by_type()
# Resource type -> builder of that patient's resources of the type.
BY_PATIENT: dict[str, PatientResources] = {t: _one_patient(build) for t, build in BY_TYPE.items()}
