"""The FHIR edge's reads: through the patient selectors (site-scoped), every patient whose record is returned
logged in the access log (channel `fhir`), as the other edges do."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from handregen.accounts.actor import Actor
from handregen.audit.services import access_record
from handregen.cellproducts.models import CellProduct
from handregen.consent.models import Consent
from handregen.evaluation.models import Consultation, ImagingStudy
from handregen.interop.fhir.builders import BY_TYPE, patient_resources
from handregen.interop.fhir.questionnaires import questionnaires
from handregen.interop.fhir.search import SearchPlan, referenced_ids
from handregen.outcomes.models import QuestionnaireResponse
from handregen.pathway.models import Episode
from handregen.patients.models import Patient
from handregen.patients.selectors import patient_get, patients_visible_to
from handregen.procedures.models import Harvest, Injection
from handregen.safety.models import AdverseEvent

BATCH = 200
# Resource type -> the records (model, how the FHIR id maps to the record's id) a resource of it is built from.
SOURCES: dict[str, tuple[tuple[Any, Any], ...]] = {
    "Condition": ((Episode, str),),
    "Encounter": ((Consultation, str),),
    "Procedure": ((Harvest, str), (Injection, str)),
    "BiologicallyDerivedProduct": ((CellProduct, str),),
    "Observation": ((QuestionnaireResponse, str), (ImagingStudy, lambda i: i[:36])),
    "QuestionnaireResponse": ((QuestionnaireResponse, str),),
    "AdverseEvent": ((AdverseEvent, str),),
    "Consent": ((Consent, str),),
    "CarePlan": ((Episode, lambda i: i.rpartition("-cycle-")[0]),),
}
SERVED = frozenset({"Patient", "Questionnaire", *BY_TYPE})


@dataclass
class SearchResult:
    matches: list[dict[str, Any]]  # the page
    total: int
    included: list[dict[str, Any]] = field(default_factory=list)


def _uuids(texts: Sequence[Any]) -> list[uuid.UUID]:
    found = []
    for text in texts:
        try:
            found.append(uuid.UUID(str(text)))
        except ValueError:
            continue
    return found


def _log(actor: Actor, patient_ids: Sequence[Any], category: str) -> None:
    with transaction.atomic():  # one commit for a page of patients, not one each
        for patient_id in dict.fromkeys(patient_ids):
            access_record(actor=actor, patient_id=patient_id, category=category, channel="fhir")


def _candidates(actor: Actor, plan: SearchPlan) -> QuerySet[Patient]:
    """The site's patients whose records can match: narrowed by the patient-identifying criteria (each must
    hold, so narrowing by any one of them is safe); the rest is matched on the built resources."""
    patients = patients_visible_to(actor).select_related("site")
    if plan.resource_type == "Patient":
        for criterion in (c for c in plan.criteria if c.param.name == "_id"):
            patients = patients.filter(pk__in=_uuids([v.code for v in criterion.values]))
        for criterion in (c for c in plan.criteria if c.param.name == "identifier"):
            if all(v.code for v in criterion.values):
                codes = [v.code for v in criterion.values]
                patients = patients.filter(Q(mrn__in=codes) | Q(wristband_code__in=codes))
        return patients.order_by("family_name", "given_name", "mrn", "id")
    for criterion in (c for c in plan.criteria if c.param.name in ("patient", "subject")):
        patients = patients.filter(pk__in=_uuids([v.id for v in criterion.values]))
    return patients.order_by("mrn", "id")


def _batches(patients: QuerySet[Patient]) -> Iterator[list[Patient]]:
    batch: list[Patient] = []
    for patient in patients.iterator(chunk_size=BATCH):
        batch.append(patient)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def resources_of(resource_type: str, patients: Sequence[Patient]) -> list[tuple[Patient, dict[str, Any]]]:
    """Every resource of the type built for the patients, with its patient, in the patients' order."""
    if resource_type == "Patient":
        return list(zip(patients, patient_resources(patients), strict=True))
    grouped = BY_TYPE[resource_type](patients)
    return [(p, r) for p in patients for r in grouped.get(p.pk, [])]


def search_resources(*, actor: Actor, plan: SearchPlan) -> SearchResult:
    """The page of resources of the site that match the plan, its total, and the `_include`/`_revinclude`d."""
    if plan.resource_type == "Questionnaire":
        matched = plan.sorted([q for q in questionnaires() if plan.matches(q)])
        return SearchResult([] if plan.summary_count else matched[plan.offset : plan.offset + plan.count], len(matched))
    if plan.resource_type == "Patient" and not plan.criteria and not plan.sort:
        return _patient_page(actor, plan)  # nothing to match: page in the database, build only the page
    found: list[tuple[Patient, dict[str, Any]]] = []
    for batch in _batches(_candidates(actor, plan)):
        found.extend((p, r) for p, r in resources_of(plan.resource_type, batch) if plan.matches(r))
    owner = {id(r): p for p, r in found}
    ordered = plan.sorted([r for _, r in found])
    page = [] if plan.summary_count else ordered[plan.offset : plan.offset + plan.count]
    owners = [owner[id(r)] for r in page]
    included = _included(actor, plan, page, owners)
    _log(actor, [p.pk for p in owners], plan.resource_type.lower())
    return SearchResult(page, len(ordered), included)


def _patient_page(actor: Actor, plan: SearchPlan) -> SearchResult:
    patients = _candidates(actor, plan)
    owners = [] if plan.summary_count else list(patients[plan.offset : plan.offset + plan.count])
    page = patient_resources(owners)
    included = _included(actor, plan, page, owners)
    _log(actor, [p.pk for p in owners], "patient")
    return SearchResult(page, patients.count(), included)


def _included(
    actor: Actor, plan: SearchPlan, page: list[dict[str, Any]], owners: list[Patient]
) -> list[dict[str, Any]]:
    included: list[dict[str, Any]] = []
    if plan.include:
        ids = referenced_ids(page, plan.include, "Patient")
        patients = list(patients_visible_to(actor).select_related("site").filter(pk__in=_uuids(sorted(ids))))
        included += patient_resources(patients)
        _log(actor, [p.pk for p in patients], "demographics")
    if plan.revinclude and owners:
        for source in dict.fromkeys(source for source, _ in plan.revinclude):
            pairs = [pair for pair in plan.revinclude if pair[0] == source]
            built = [r for _, r in resources_of(source, owners)]
            page_ids = {r["id"] for r in page}
            included += [r for r in built if referenced_ids([r], pairs, "Patient") & page_ids]
            _log(actor, [p.pk for p in owners], source.lower())
    return included


def _owner_id(resource_type: str, resource_id: str) -> uuid.UUID | None:
    for model, record_id in SOURCES.get(resource_type, ()):
        key = _uuids([record_id(resource_id)])
        if key:
            owner = model.objects.filter(pk=key[0]).values_list("patient_id", flat=True).first()
            if owner is not None:
                return owner
    return None


def resource_read(*, actor: Actor, resource_type: str, resource_id: str) -> dict[str, Any] | None:
    """The resource if it exists at the actor's site (None otherwise); the patient's record read is logged."""
    if resource_type == "Questionnaire":
        return next((q for q in questionnaires() if q["id"] == resource_id), None)
    owner = resource_id if resource_type == "Patient" else _owner_id(resource_type, resource_id)
    key = _uuids([owner]) if owner is not None else []
    patient = patients_visible_to(actor).select_related("site").filter(pk__in=key).first()
    if patient is None:
        return None
    resource = next((r for _, r in resources_of(resource_type, [patient]) if r["id"] == resource_id), None)
    if resource is not None:
        _log(actor, [patient.pk], resource_type.lower())
    return resource


def patient_everything(*, actor: Actor, patient_id: str) -> list[dict[str, Any]]:
    """The patient's resources of every type (NotFound outside the actor's site)."""
    patient = patient_get(actor=actor, patient_id=patient_id, channel="fhir")
    access_record(actor=actor, patient_id=patient.pk, category="everything", channel="fhir")
    return [r for t in ("Patient", *BY_TYPE) for _, r in resources_of(t, [patient])]
