"""Build FHIR R4 resources from handregen records; every resource is validated by its fhir.resources model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.resource import Resource

from handregen.interop.fhir.codes import (
    BODY_SITE_SIDE,
    CONDITION_CODES,
    GENDER,
    MRN_SYSTEM,
    WRISTBAND_SYSTEM,
    handregen_code,
)
from handregen.pathway.models import Episode
from handregen.patients.models import Patient


def validated(model: type[Resource], data: dict[str, Any]) -> dict[str, Any]:
    """Validate `data` as a FHIR resource of `model` and return its JSON form (no empty elements)."""
    return model.model_validate(data).model_dump(mode="json", exclude_none=True)


def patient_resource(patient: Patient) -> dict[str, Any]:
    return validated(
        FhirPatient,
        {
            "resourceType": "Patient",
            "id": str(patient.pk),
            "meta": {"tag": [handregen_code("tag", "synthetic", "Synthetic data")]} if patient.is_synthetic else None,
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


# Resource type -> builders of the resources of that type for one patient (see `everything`).
PatientResources = Callable[[Patient], list[dict[str, Any]]]


def conditions_of(patient: Patient) -> list[dict[str, Any]]:
    episodes = patient.episodes.select_related("protocol").order_by("created_at")
    return [condition_resource(e) for e in episodes]


def _by_patient() -> dict[str, PatientResources]:
    from handregen.interop.fhir import clinical

    return {
        "Condition": conditions_of,
        "Encounter": clinical.encounters_of,
        "Procedure": clinical.procedures_of,
        "BiologicallyDerivedProduct": clinical.products_of,
        "Observation": clinical.observations_of,
        "QuestionnaireResponse": clinical.questionnaire_responses_of,
        "AdverseEvent": clinical.adverse_events_of,
        "Consent": clinical.consents_of,
        "CarePlan": clinical.care_plans_of,
    }


# Resource type -> builder of that patient's resources of the type, in the order $everything lists them.
BY_PATIENT: dict[str, PatientResources] = _by_patient()
