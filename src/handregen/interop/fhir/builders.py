"""Build FHIR R4 resources from handregen records; every resource is validated by its fhir.resources model."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, cast

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.resource import Resource

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
from handregen.pathway.models import Episode
from handregen.patients.models import Patient

_UTC_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+\+00:00$")


def _pruned(value: Any) -> Any:
    """`value` without None and empty elements (FHIR has no nulls), recursively; UTC datetimes end in Z, as the
    fhir.resources serialiser writes them."""
    if isinstance(value, str):
        return value[:-6] + "Z" if _UTC_DATETIME.match(value) else value
    if isinstance(value, dict):
        pruned = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        items = [_pruned(v) for v in value]
        return [v for v in items if v is not None and v != {}]
    return value


def validated(model: type[Resource], data: dict[str, Any]) -> dict[str, Any]:
    """Validate `data` as a FHIR resource of `model` (raises if invalid) and return it without empty elements.

    The builders write JSON-ready values (ISO strings, numbers), so the pruned input is the resource's JSON form;
    skipping the model's own serialisation halves the cost of a bulk export (a test compares the two)."""
    model.model_validate(data)
    return cast(dict[str, Any], _pruned(data))


def patient_resource(patient: Patient) -> dict[str, Any]:
    return validated(
        FhirPatient,
        {
            "resourceType": "Patient",
            "id": str(patient.pk),
            "meta": {"tag": [handregen_code("tag", "synthetic", "Synthetic data")]} if patient.is_synthetic else None,
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


def condition_resource(episode: Episode) -> dict[str, Any]:
    closed = episode.stage in {"completed", "withdrawn", "ineligible"}
    return validated(
        Condition,
        {
            "resourceType": "Condition",
            "id": str(episode.pk),
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
    for e in (
        Episode.objects.filter(patient__in=patients)
        .select_related("protocol")
        .order_by("patient_id", "created_at", "id")
    ):
        grouped[e.patient_id].append(condition_resource(e))
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
