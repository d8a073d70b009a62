"""FHIR builders for the clinical records beyond Patient and Condition, one function per resource type.

Each takes a patient and returns that patient's resources of one type (see `builders.BY_PATIENT`), with
the queries it needs done in bulk for that patient.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.adverseevent import AdverseEvent as FhirAdverseEvent
from fhir.resources.R4B.biologicallyderivedproduct import BiologicallyDerivedProduct
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirQR

from handregen.interop.fhir.builders import validated
from handregen.interop.fhir.codes import BODY_SITE_SIDE, HANDREGEN_CS, LOINC, PRODUCT_SYSTEM, handregen_code
from handregen.patients.models import Patient

# LOINC 72514-3: Pain severity - 0-10 verbal numeric rating [Score] - Reported.
NRS_LOINC = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
SEVERITY = {1: "mild", 2: "moderate", 3: "severe", 4: "severe", 5: "severe"}
AE_OUTCOME = {
    "recovering": "recovering",
    "recovered": "resolved",
    "recovered_with_sequelae": "resolvedWithSequelae",
    "not_recovered": "ongoing",
    "fatal": "fatal",
    "unknown": "unknown",
}


def _subject(patient: Patient) -> dict[str, str]:
    return {"reference": f"Patient/{patient.pk}"}


def encounters_of(patient: Patient) -> list[dict[str, Any]]:
    from handregen.evaluation.models import Consultation

    return [
        validated(
            Encounter,
            {
                "resourceType": "Encounter",
                "id": str(c.pk),
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "AMB",
                    "display": "ambulatory",
                },
                "type": [{"coding": [handregen_code("encounter", "consultation", "Consultation")]}],
                "subject": _subject(patient),
                "period": {"start": c.seen_on.isoformat(), "end": c.seen_on.isoformat()},
                "reasonReference": [{"reference": f"Condition/{c.episode_id}"}],
            },
        )
        for c in Consultation.objects.filter(patient=patient).order_by("seen_on")
    ]


def procedures_of(patient: Patient) -> list[dict[str, Any]]:
    from handregen.procedures.models import Harvest, Injection

    resources = []
    for h in Harvest.objects.filter(patient=patient).select_related("product").order_by("started_at"):
        resources.append(
            validated(
                Procedure,
                {
                    "resourceType": "Procedure",
                    "id": str(h.pk),
                    "status": "completed",
                    "code": {
                        "coding": [handregen_code("procedure", f"harvest_{h.source}", f"Harvest of {h.source}")],
                        "text": f"{h.get_source_display()} harvest, {h.get_harvest_site_display()}",
                    },
                    "subject": _subject(patient),
                    "performedPeriod": {"start": h.started_at.isoformat(), "end": h.ended_at.isoformat()},
                    "reasonReference": [{"reference": f"Condition/{h.episode_id}"}],
                    "focalDevice": None,
                    "note": [{"text": f"volume {h.volume_ml} mL; product {h.product.din}"}],
                },
            )
        )
    for i in Injection.objects.filter(patient=patient).order_by("performed_at"):
        resources.append(
            validated(
                Procedure,
                {
                    "resourceType": "Procedure",
                    "id": str(i.pk),
                    "status": "completed",
                    "code": {
                        "coding": [
                            handregen_code(
                                "procedure",
                                "intra_articular_cell_injection",
                                "Image-guided intra-articular injection of a cell product",
                            )
                        ]
                    },
                    "subject": _subject(patient),
                    "performedDateTime": i.performed_at.isoformat(),
                    "bodySite": [{"coding": [BODY_SITE_SIDE[i.side]], "text": f"{i.side} {i.joint}"}],
                    "reasonReference": [{"reference": f"Condition/{i.episode_id}"}],
                    "usedReference": [{"reference": f"BiologicallyDerivedProduct/{i.product_id}"}],
                    "note": [{"text": f"{i.guidance} guidance; {i.volume_ml} mL"}],
                },
            )
        )
    return resources


def products_of(patient: Patient) -> list[dict[str, Any]]:
    from handregen.cellproducts.models import CellProduct

    resources = []
    for p in CellProduct.objects.filter(patient=patient).select_related("processing").order_by("collected_at"):
        processing = getattr(p, "processing", None)
        resources.append(
            validated(
                BiologicallyDerivedProduct,
                {
                    "resourceType": "BiologicallyDerivedProduct",
                    "id": str(p.pk),
                    "identifier": [{"system": PRODUCT_SYSTEM, "value": p.code}],
                    "productCategory": "cells",
                    "productCode": {
                        "coding": [handregen_code("product-source", p.source)],
                        "text": p.get_source_display(),
                    },
                    "status": "available" if p.status == "released" else "unavailable",
                    "quantity": 1,
                    "collection": {"source": _subject(patient), "collectedDateTime": p.collected_at.isoformat()},
                    "processing": [
                        {
                            "description": processing.get_method_display(),
                            "timeDateTime": processing.ended_at.isoformat(),
                        }
                    ]
                    if processing
                    else None,
                },
            )
        )
    return resources


def observations_of(patient: Patient) -> list[dict[str, Any]]:
    """Scores (total and subscales), grip and pinch, and imaging stages."""
    from handregen.evaluation.models import ImagingStudy
    from handregen.outcomes.models import QuestionnaireResponse

    resources = []
    for r in QuestionnaireResponse.objects.filter(patient=patient, scorable=True).select_related("follow_up"):
        coding = [NRS_LOINC] if r.instrument == "nrs" else []
        coding.append(handregen_code("score", r.instrument))
        components = [
            {
                "code": {"coding": [handregen_code("subscale", f"{r.instrument}.{name}")]},
                "valueQuantity": {"value": value},
            }
            for name, value in (r.subscales or {}).items()
            if value is not None
        ]
        resources.append(
            validated(
                Observation,
                {
                    "resourceType": "Observation",
                    "id": str(r.pk),
                    "status": "final",
                    "category": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                    "code": "survey",
                                }
                            ]
                        }
                    ],
                    "code": {"coding": coding, "text": f"{r.instrument} score ({r.scoring_version})"},
                    "subject": _subject(patient),
                    "effectiveDateTime": r.entered_at.isoformat(),
                    "valueQuantity": {"value": r.total},
                    "derivedFrom": [{"reference": f"QuestionnaireResponse/{r.pk}"}],
                    "component": components or None,
                    "note": [{"text": f"time point {r.follow_up.timepoint}"}],
                },
            )
        )
    for study in ImagingStudy.objects.filter(patient=patient):
        staging = ([("eaton_littler", study.eaton_littler_stage)] if study.eaton_littler_stage else []) + (
            [("kellgren_lawrence", str(study.kl_grade))] if study.kl_grade is not None else []
        )
        for system, value in staging:
            resources.append(
                validated(
                    Observation,
                    {
                        "resourceType": "Observation",
                        "id": f"{study.pk}-{system.replace('_', '-')}",
                        "status": "final",
                        "category": [
                            {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                        "code": "imaging",
                                    }
                                ]
                            }
                        ],
                        "code": {"coding": [handregen_code("staging", system)]},
                        "subject": _subject(patient),
                        "effectiveDateTime": study.study_date.isoformat(),
                        "valueCodeableConcept": {"coding": [{"system": f"{HANDREGEN_CS}/{system}", "code": value}]},
                    },
                )
            )
    return resources


def questionnaire_responses_of(patient: Patient) -> list[dict[str, Any]]:
    from handregen.outcomes.models import QuestionnaireResponse

    resources = []
    for r in QuestionnaireResponse.objects.filter(patient=patient).order_by("entered_at"):
        items = [
            {"linkId": item, "answer": [_answer(value)]}
            for item, value in (r.answers or {}).items()
            if value is not None and not isinstance(value, bool)
        ]
        resources.append(
            validated(
                FhirQR,
                {
                    "resourceType": "QuestionnaireResponse",
                    "id": str(r.pk),
                    "status": "completed",
                    "questionnaire": f"https://handregen.org/fhir/Questionnaire/{r.instrument}",
                    "subject": _subject(patient),
                    "authored": r.entered_at.isoformat(),
                    "item": items or None,
                },
            )
        )
    return resources


def _answer(value: Any) -> dict[str, Any]:
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    return {"valueString": str(value)}


def adverse_events_of(patient: Patient) -> list[dict[str, Any]]:
    from handregen.safety.models import AdverseEvent

    resources = []
    for e in AdverseEvent.objects.filter(patient=patient).order_by("onset_date"):
        resources.append(
            validated(
                FhirAdverseEvent,
                {
                    "resourceType": "AdverseEvent",
                    "id": str(e.pk),
                    "actuality": "actual",
                    "event": {
                        "coding": [handregen_code("adverse-event", e.term, e.get_term_display())],
                        "text": e.other_text or e.get_term_display(),
                    },
                    "subject": _subject(patient),
                    "date": e.onset_date.isoformat(),
                    "seriousness": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
                                "code": "serious" if e.serious else "non-serious",
                            }
                        ]
                    },
                    "severity": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
                                "code": SEVERITY[e.grade],
                            }
                        ],
                        "text": f"CTCAE grade {e.grade}",
                    },
                    "outcome": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
                                "code": AE_OUTCOME.get(e.outcome, "unknown"),
                            }
                        ]
                    },
                    "suspectEntity": [
                        {
                            "instance": {"reference": f"Condition/{e.episode_id}"},
                            "causality": [{"assessment": {"coding": [handregen_code("who-umc", e.relatedness)]}}],
                        }
                    ],
                },
            )
        )
    return resources


def consents_of(patient: Patient) -> list[dict[str, Any]]:
    from handregen.consent.models import Consent

    resources = []
    for c in Consent.objects.filter(patient=patient).select_related("document").order_by("recorded_at"):
        resources.append(
            validated(
                FhirConsent,
                {
                    "resourceType": "Consent",
                    "id": str(c.pk),
                    "status": "active" if c.status == "active" else "inactive",
                    "scope": {
                        "coding": [
                            {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment"}
                        ]
                    },
                    "category": [
                        {"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Consent Document"}]}
                    ],
                    "patient": _subject(patient),
                    "dateTime": c.recorded_at.isoformat(),
                    "policyRule": {"coding": [handregen_code("consent-document", c.document.version)]},
                },
            )
        )
    return resources


def care_plans_of(patient: Patient) -> list[dict[str, Any]]:
    from handregen.outcomes.models import FollowUp

    plans: dict[tuple[Any, int], list[Any]] = {}
    for f in FollowUp.objects.filter(patient=patient, superseded_at__isnull=True).order_by("due_on"):
        plans.setdefault((f.episode_id, f.cycle), []).append(f)
    resources = []
    for (episode_id, cycle), follow_ups in plans.items():
        activities = [
            {
                "detail": {
                    "code": {"coding": [handregen_code("follow-up", f.timepoint, f.label)]},
                    "status": "completed" if f.completed_at else "scheduled",
                    "scheduledPeriod": {"start": f.due_from.isoformat(), "end": f.due_until.isoformat()}
                    if f.due_from and f.due_until
                    else None,
                    "description": f"{f.label}: {', '.join(f.instruments)}",
                }
            }
            for f in follow_ups
        ]
        resources.append(
            validated(
                CarePlan,
                {
                    "resourceType": "CarePlan",
                    "id": f"{episode_id}-cycle-{cycle}",
                    "status": "active",
                    "intent": "plan",
                    "title": f"Follow-up schedule, treatment cycle {cycle}",
                    "subject": _subject(patient),
                    "addresses": [{"reference": f"Condition/{episode_id}"}],
                    "activity": activities,
                },
            )
        )
    return resources
