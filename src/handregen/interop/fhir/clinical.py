"""FHIR builders for the clinical records beyond Patient and Condition, one function per resource type.

Each takes a batch of patients and returns their resources of one type grouped by patient id (see
`builders.BY_TYPE`), with one query per type for the whole batch (set-based: no query per resource).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db.models import F
from fhir.resources.R4B.adverseevent import AdverseEvent as FhirAdverseEvent
from fhir.resources.R4B.biologicallyderivedproduct import BiologicallyDerivedProduct
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirQR

from handregen.interop.fhir.builders import last_changed, meta, validated
from handregen.interop.fhir.codes import (
    BODY_SITE_SIDE,
    CAUSALITY,
    CAUSALITY_CS,
    EXT_CAUSALITY,
    EXT_CYCLE,
    EXT_PRODUCT_USED,
    EXT_SIDE,
    EXT_TIMEPOINT,
    EXT_VARIANT,
    HANDREGEN_CS,
    LOINC,
    PRODUCT_SYSTEM,
    QUESTIONNAIRE_BASE,
    SCORE_UNIT,
    SERIOUSNESS_CS,
    UCUM,
    handregen_code,
)
from handregen.patients.models import Patient

# LOINC 72514-3: Pain severity - 0-10 verbal numeric rating [Score] - Reported.
NRS_LOINC = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
MEASURED_KG = frozenset({"grip", "pinch"})
SEVERITY = {1: "mild", 2: "moderate", 3: "severe", 4: "severe", 5: "severe"}
AE_OUTCOME = {
    "recovering": "recovering",
    "recovered": "resolved",
    "recovered_with_sequelae": "resolvedWithSequelae",
    "not_recovered": "ongoing",
    "fatal": "fatal",
    "unknown": "unknown",
}


Grouped = dict[Any, list[dict[str, Any]]]


def _subject(patient_id: Any) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def encounters_for(patients: Sequence[Patient]) -> Grouped:
    from handregen.evaluation.models import Consultation

    resources: Grouped = defaultdict(list)
    consultations = list(Consultation.objects.filter(patient__in=patients).order_by("patient_id", "seen_on", "id"))
    changed = last_changed((c.pk for c in consultations), "consultation")
    for c in consultations:
        resources[c.patient_id].append(
            validated(
                Encounter,
                {
                    "resourceType": "Encounter",
                    "id": str(c.pk),
                    "meta": meta(c.version, c.recorded_at, changed.get(str(c.pk))),
                    "status": "finished",
                    "class": {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": "AMB",
                        "display": "ambulatory",
                    },
                    "type": [{"coding": [handregen_code("encounter", "consultation", "Consultation")]}],
                    "subject": _subject(c.patient_id),
                    "period": {"start": c.seen_on.isoformat(), "end": c.seen_on.isoformat()},
                    "reasonReference": [{"reference": f"Condition/{c.episode_id}"}],
                },
            )
        )
    return resources


def procedures_for(patients: Sequence[Patient]) -> Grouped:
    from handregen.procedures.models import Harvest, Injection

    resources: Grouped = defaultdict(list)
    harvests = list(
        Harvest.objects.filter(patient__in=patients)
        .select_related("product")
        .order_by("patient_id", "started_at", "id")
    )
    injections = list(Injection.objects.filter(patient__in=patients).order_by("patient_id", "performed_at", "id"))
    changed = last_changed([*(h.pk for h in harvests), *(i.pk for i in injections)], "harvest", "injection")
    for h in harvests:
        resources[h.patient_id].append(
            validated(
                Procedure,
                {
                    "resourceType": "Procedure",
                    "id": str(h.pk),
                    "meta": meta(h.version, h.created_at, changed.get(str(h.pk))),
                    "status": "completed",
                    "code": {
                        "coding": [handregen_code("procedure", f"harvest_{h.source}", f"Harvest of {h.source}")],
                        "text": f"{h.get_source_display()} harvest, {h.get_harvest_site_display()}",
                    },
                    "subject": _subject(h.patient_id),
                    "performedPeriod": {"start": h.started_at.isoformat(), "end": h.ended_at.isoformat()},
                    "reasonReference": [{"reference": f"Condition/{h.episode_id}"}],
                    "focalDevice": None,
                    "note": [{"text": f"volume {h.volume_ml} mL; product {h.product.din}"}],
                },
            )
        )
    for i in injections:
        resources[i.patient_id].append(
            validated(
                Procedure,
                {
                    "resourceType": "Procedure",
                    "id": str(i.pk),
                    "meta": meta(i.version, i.created_at, changed.get(str(i.pk))),
                    "extension": [
                        {
                            "url": EXT_PRODUCT_USED,
                            "valueReference": {"reference": f"BiologicallyDerivedProduct/{i.product_id}"},
                        }
                    ],
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
                    "subject": _subject(i.patient_id),
                    "performedDateTime": i.performed_at.isoformat(),
                    "bodySite": [{"coding": [BODY_SITE_SIDE[i.side]], "text": f"{i.side} {i.joint}"}],
                    "reasonReference": [{"reference": f"Condition/{i.episode_id}"}],
                    "usedCode": [{"text": "Cell product (see the cell-product-used extension)"}],
                    "note": [{"text": f"{i.guidance} guidance; {i.volume_ml} mL"}],
                },
            )
        )
    return resources


def products_for(patients: Sequence[Patient]) -> Grouped:
    from handregen.cellproducts.models import CellProduct

    resources: Grouped = defaultdict(list)
    products = list(
        CellProduct.objects.filter(patient__in=patients)
        .select_related("processing")
        .order_by("patient_id", "collected_at", "id")
    )
    changed = last_changed((p.pk for p in products), "cell_product")
    for p in products:
        processing = getattr(p, "processing", None)
        resources[p.patient_id].append(
            validated(
                BiologicallyDerivedProduct,
                {
                    "resourceType": "BiologicallyDerivedProduct",
                    "id": str(p.pk),
                    "meta": meta(p.version, p.created_at, changed.get(str(p.pk))),
                    "identifier": [{"system": PRODUCT_SYSTEM, "value": p.code}],
                    "productCategory": "cells",
                    "productCode": {
                        "coding": [handregen_code("product-source", p.source)],
                        "text": p.get_source_display(),
                    },
                    "status": "available" if p.status == "released" else "unavailable",
                    "quantity": 1,
                    "collection": {"source": _subject(p.patient_id), "collectedDateTime": p.collected_at.isoformat()},
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


def observations_for(patients: Sequence[Patient]) -> Grouped:
    """Scores (total and subscales), grip and pinch, and imaging stages."""
    from handregen.evaluation.models import ImagingStudy

    resources: Grouped = defaultdict(list)
    scores = list(
        _responses(patients).filter(scorable=True).values(*_RESPONSE_FIELDS, "total", "subscales", "scoring_version")
    )
    studies = list(ImagingStudy.objects.filter(patient__in=patients).order_by("patient_id", "study_date", "id"))
    sources = [*(r["id"] for r in scores), *(s.pk for s in studies)]
    changed = last_changed(sources, "questionnaire_response", "imaging_study")
    for r in scores:
        instrument = r["instrument"]
        coding = [NRS_LOINC] if instrument == "nrs" else []
        coding.append(handregen_code("score", instrument))
        components = [
            {
                "code": {"coding": [handregen_code("subscale", f"{instrument}.{name}")]},
                "valueQuantity": _quantity(instrument, value),
            }
            for name, value in (r["subscales"] or {}).items()
            if value is not None
        ]
        resources[r["patient_id"]].append(
            validated(
                Observation,
                {
                    "resourceType": "Observation",
                    "id": str(r["id"]),
                    "meta": _response_meta(r, changed),
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
                    "code": {"coding": coding, "text": f"{_instrument_name(instrument)} ({r['scoring_version']})"},
                    "subject": _subject(r["patient_id"]),
                    "effectiveDateTime": r["entered_at"].isoformat(),
                    "valueQuantity": _quantity(instrument, r["total"]),
                    "derivedFrom": [{"reference": f"QuestionnaireResponse/{r['id']}"}],
                    "component": components or None,
                    "extension": follow_up_extensions(r),
                },
            )
        )
    for study in studies:
        staging = ([("eaton_littler", study.eaton_littler_stage)] if study.eaton_littler_stage else []) + (
            [("kellgren_lawrence", str(study.kl_grade))] if study.kl_grade is not None else []
        )
        for system, value in staging:
            resources[study.patient_id].append(
                validated(
                    Observation,
                    {
                        "resourceType": "Observation",
                        "id": f"{study.pk}-{system.replace('_', '-')}",
                        "meta": meta(study.version, study.recorded_at, changed.get(str(study.pk))),
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
                        "subject": _subject(study.patient_id),
                        "effectiveDateTime": study.study_date.isoformat(),
                        "valueCodeableConcept": {"coding": [{"system": f"{HANDREGEN_CS}/{system}", "code": value}]},
                    },
                )
            )
    return resources


@cache
def _instrument_name(code: str) -> str:
    """What people read for an instrument (its name from the data file), never its internal code."""
    from handregen.outcomes.instruments import load_instrument

    try:
        return load_instrument(code).name
    except ValueError:
        return code


def _quantity(instrument: str, value: float | None) -> dict[str, Any]:
    """A score is a dimensionless `{score}`; grip and pinch are kilograms (UCUM)."""
    if instrument in MEASURED_KG:
        return {"value": value, "unit": "kg", "system": UCUM, "code": "kg"}
    return {"value": value, **SCORE_UNIT}


def _response_meta(r: dict[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
    return meta(r["version"], r["entered_at"], r["amended_at"], changed.get(str(r["id"])))


# The columns of a questionnaire response that both Observation and QuestionnaireResponse read (as dicts from
# `.values()`: building model instances costs more than the FHIR mapping itself in a bulk export).
_RESPONSE_FIELDS = (
    "id",
    "patient_id",
    "episode_id",
    "instrument",
    "instrument_version",
    "entered_at",
    "amended_at",
    "version",
    "side",
    "variant",
    "follow_up__timepoint",
    "follow_up__cycle",
)


def _responses(patients: Sequence[Patient]) -> Any:
    from handregen.outcomes.models import QuestionnaireResponse

    return QuestionnaireResponse.objects.filter(patient__in=patients).order_by(
        "patient_id", "entered_at", "instrument", "side", "variant"
    )


def follow_up_extensions(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Where a response (a `_RESPONSE_FIELDS` row) belongs: the time point (`baseline`, `w2`, …), the treatment
    cycle, and for grip and pinch the hand measured and the pinch type (see `codes.EXT_*`; the importer reads
    them back)."""
    extensions: list[dict[str, Any]] = [
        {"url": EXT_TIMEPOINT, "valueCode": r["follow_up__timepoint"]},
        {"url": EXT_CYCLE, "valueInteger": r["follow_up__cycle"]},
    ]
    if r["side"]:
        extensions.append({"url": EXT_SIDE, "valueCode": r["side"]})
    if r["variant"]:
        extensions.append({"url": EXT_VARIANT, "valueCode": r["variant"]})
    return extensions


def questionnaire_responses_for(patients: Sequence[Patient]) -> Grouped:
    resources: Grouped = defaultdict(list)
    responses = list(_responses(patients).values(*_RESPONSE_FIELDS, "answers"))
    changed = last_changed((r["id"] for r in responses), "questionnaire_response")
    for r in responses:
        items = [
            {"linkId": item, "answer": [_answer(value)]}
            for item, value in (r["answers"] or {}).items()
            if value is not None and not isinstance(value, bool)
        ]
        resources[r["patient_id"]].append(
            validated(
                FhirQR,
                {
                    "resourceType": "QuestionnaireResponse",
                    "id": str(r["id"]),
                    "meta": _response_meta(r, changed),
                    "status": "completed",
                    "extension": follow_up_extensions(r),
                    # the episode's follow-up schedule: a patient with two treated hands has one per hand
                    "basedOn": [{"reference": f"CarePlan/{r['episode_id']}-cycle-{r['follow_up__cycle']}"}],
                    "questionnaire": f"{QUESTIONNAIRE_BASE}/{r['instrument']}|{r['instrument_version']}",
                    "subject": _subject(r["patient_id"]),
                    "authored": r["entered_at"].isoformat(),
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


def adverse_events_for(patients: Sequence[Patient]) -> Grouped:
    from handregen.safety.models import AdverseEvent

    resources: Grouped = defaultdict(list)
    events = list(AdverseEvent.objects.filter(patient__in=patients).order_by("patient_id", "onset_date", "id"))
    changed = last_changed((e.pk for e in events), "adverse_event")
    suspects = _suspect_procedures({e.episode_id for e in events})
    for e in events:
        suspect = suspects.get((e.episode_id, e.cycle)) or suspects.get((e.episode_id, None))
        causality = {
            "coding": [
                {"system": CAUSALITY_CS, "code": CAUSALITY[e.relatedness][0], "display": CAUSALITY[e.relatedness][1]},
                handregen_code("who-umc", e.relatedness),
            ]
        }
        resources[e.patient_id].append(
            validated(
                FhirAdverseEvent,
                {
                    "resourceType": "AdverseEvent",
                    "id": str(e.pk),
                    "meta": meta(e.version, e.reported_at, changed.get(str(e.pk))),
                    "extension": None if suspect else [{"url": EXT_CAUSALITY, "valueCodeableConcept": causality}],
                    "actuality": "actual",
                    "event": {
                        "coding": [handregen_code("adverse-event", e.term, e.get_term_display())],
                        "text": e.other_text or e.get_term_display(),
                    },
                    "subject": _subject(e.patient_id),
                    "date": e.onset_date.isoformat(),
                    "seriousness": {
                        "coding": [
                            {
                                "system": SERIOUSNESS_CS,
                                "code": "Serious" if e.serious else "Non-serious",
                                "display": "Serious" if e.serious else "Non-serious",
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
                    # The treated condition is medical history; the suspect is the procedure (R4 allows no Condition).
                    "subjectMedicalHistory": [{"reference": f"Condition/{e.episode_id}"}],
                    "suspectEntity": [
                        {"instance": {"reference": f"Procedure/{suspect}"}, "causality": [{"assessment": causality}]}
                    ]
                    if suspect
                    else None,
                },
            )
        )
    return resources


def _suspect_procedures(episode_ids: set[Any]) -> dict[tuple[Any, Any], Any]:
    """The procedure an adverse event of (episode, cycle) is suspected of: that cycle's injection, else its harvest;
    (episode, None) holds the episode's latest procedure for an event whose cycle has none."""
    from handregen.procedures.models import Harvest, Injection

    found: dict[tuple[Any, Any], Any] = {}
    for model, when in ((Harvest, "started_at"), (Injection, "performed_at")):  # injections override harvests
        for pk, episode_id, cycle in (
            model.objects.filter(episode_id__in=episode_ids)
            .order_by(when, "id")
            .values_list("id", "episode_id", "cycle")
        ):
            found[(episode_id, cycle)] = pk
            found[(episode_id, None)] = pk
    return found


def consents_for(patients: Sequence[Patient]) -> Grouped:
    from handregen.consent.models import Consent

    resources: Grouped = defaultdict(list)
    consents = list(
        Consent.objects.filter(patient__in=patients)
        .select_related("document")
        .order_by("patient_id", "recorded_at", "id")
    )
    changed = last_changed((c.pk for c in consents), "consent")
    for c in consents:
        resources[c.patient_id].append(
            validated(
                FhirConsent,
                {
                    "resourceType": "Consent",
                    "id": str(c.pk),
                    "meta": meta(c.version, c.recorded_at, c.withdrawn_at, c.superseded_at, changed.get(str(c.pk))),
                    "status": "active" if c.status == "active" else "inactive",
                    "scope": {
                        "coding": [
                            {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment"}
                        ]
                    },
                    "category": [
                        {"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Consent Document"}]}
                    ],
                    "patient": _subject(c.patient_id),
                    "dateTime": c.recorded_at.isoformat(),
                    "policyRule": {"coding": [handregen_code("consent-document", c.document.version)]},
                },
            )
        )
    return resources


def care_plans_for(patients: Sequence[Patient]) -> Grouped:
    from handregen.outcomes.models import FollowUp

    plans: dict[tuple[Any, Any, int], list[Any]] = {}
    follow_ups_all = list(
        FollowUp.objects.filter(patient__in=patients, superseded_at__isnull=True).order_by(
            "patient_id", F("due_on").asc(nulls_first=True), "days", "timepoint"
        )
    )
    changed = last_changed((f.pk for f in follow_ups_all), "follow_up")
    for f in follow_ups_all:
        plans.setdefault((f.patient_id, f.episode_id, f.cycle), []).append(f)
    resources: Grouped = defaultdict(list)
    for (patient_id, episode_id, cycle), follow_ups in plans.items():
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
        resources[patient_id].append(
            validated(
                CarePlan,
                {
                    "resourceType": "CarePlan",
                    "id": f"{episode_id}-cycle-{cycle}",
                    # One version per change of any of its follow-ups: the sum of their counters and their number.
                    "meta": meta(
                        sum(f.version for f in follow_ups) + len(follow_ups),
                        *(f.created_at for f in follow_ups),
                        *(f.completed_at for f in follow_ups),
                        *(changed.get(str(f.pk)) for f in follow_ups),
                    ),
                    "status": "active",
                    "intent": "plan",
                    "title": f"Follow-up schedule, treatment cycle {cycle}",
                    "subject": _subject(patient_id),
                    "addresses": [{"reference": f"Condition/{episode_id}"}],
                    "activity": activities,
                },
            )
        )
    return resources
