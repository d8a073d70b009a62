"""FHIR create/update of Patient and QuestionnaireResponse, and `transaction` Bundles, through the services.

Nothing is dropped silently: an element handregen cannot store is refused (`Unstorable`, an OperationOutcome
naming the element), never ignored. A transaction is all or nothing and resolves `urn:uuid:` references to the
Patients it creates.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from handregen.accounts.actor import Actor
from handregen.errors import GuardRefused, InvalidInput, NotFound
from handregen.interop.fhir.codes import (
    EXT_CYCLE,
    EXT_DOMINANT_HAND,
    EXT_OCCUPATION,
    EXT_SIDE,
    EXT_TIMEPOINT,
    EXT_VARIANT,
    MRN_SYSTEM,
    QUESTIONNAIRE_BASE,
    WRISTBAND_SYSTEM,
)
from handregen.interop.fhir.search_values import SearchValueError, date_range, reference_key
from handregen.outcomes.models import FollowUp
from handregen.outcomes.services import response_record
from handregen.patients.models import Patient
from handregen.patients.selectors import patient_get
from handregen.patients.services import patient_amend, patient_register

# The write interactions served, by type (the CapabilityStatement declares these; `views._write` dispatches them).
INTERACTIONS: dict[str, tuple[str, ...]] = {"Patient": ("create", "update"), "QuestionnaireResponse": ("create",)}
PATIENT_ELEMENTS = {
    "resourceType",
    "id",
    "meta",
    "extension",
    "identifier",
    "name",
    "gender",
    "birthDate",
    "telecom",
    "address",
}
RESPONSE_ELEMENTS = {
    "resourceType",
    "id",
    "meta",
    "extension",
    "questionnaire",
    "status",
    "subject",
    "authored",
    "item",
}


class Unstorable(ValueError):
    """Elements of a resource handregen cannot store as given: (FHIRPath-like element, why)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{where}: {why}" for where, why in problems))


def _only(resource: dict[str, Any], allowed: set[str]) -> list[tuple[str, str]]:
    """The resource must be valid R4 (its fhir.resources model), and hold only elements handregen stores."""
    kind = resource.get("resourceType", "")
    try:
        get_fhir_model_class(kind).model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"] if part != "__root__")
        raise Unstorable([(f"{kind}.{where}" if where else kind, f"not valid R4: {first['msg']}")]) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise Unstorable([(kind or "resourceType", "not a valid R4 resource")]) from exc
    return [(f"{kind}.{key}", "handregen does not store this element") for key in sorted(set(resource) - allowed)]


def _extensions(resource: dict[str, Any], known: set[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    values: dict[str, Any] = {}
    problems = []
    for i, ext in enumerate(resource.get("extension", [])):
        url = ext.get("url", "")
        value = next((v for k, v in ext.items() if k.startswith("value")), None)
        if url not in known:
            problems.append((f"{resource['resourceType']}.extension[{i}]", f"unknown extension {url}"))
        else:
            values[url] = value
    return values, problems


def patient_fields(resource: dict[str, Any]) -> dict[str, Any]:
    """The `patient_register` fields of a FHIR Patient; Unstorable for anything they cannot hold."""
    problems = _only(resource, PATIENT_ELEMENTS)
    ext, ext_problems = _extensions(resource, {EXT_DOMINANT_HAND, EXT_OCCUPATION})
    problems += ext_problems
    mrn = ""
    for i, ident in enumerate(resource.get("identifier", [])):
        if ident.get("system") == MRN_SYSTEM and ident.get("value"):
            mrn = ident["value"]
        elif ident.get("system") != WRISTBAND_SYSTEM:
            problems.append(
                (
                    f"Patient.identifier[{i}]",
                    f"only the MRN ({MRN_SYSTEM}) is stored; other identifier systems are not mapped here",
                )
            )
    if not mrn:
        problems.append(("Patient.identifier", f"needs the MRN (system {MRN_SYSTEM})"))
    names = resource.get("name", [])
    if len(names) != 1:
        problems.append(("Patient.name", "needs exactly one name"))
    name = names[0] if names else {}
    problems += [
        (f"Patient.name[0].{k}", "handregen does not store this element")
        for k in sorted(set(name) - {"use", "family", "given"})
    ]
    given = name.get("given", [])
    if len(given) != 1:
        problems.append(("Patient.name[0].given", "handregen stores exactly one given name (send it as one)"))
    telecom: dict[str, str] = {}
    for i, t in enumerate(resource.get("telecom", [])):
        if t.get("system") not in ("phone", "email") or t["system"] in telecom:
            problems.append((f"Patient.telecom[{i}]", "handregen stores one phone number and one email address"))
        else:
            telecom[t["system"]] = t.get("value", "")
    addresses = resource.get("address", [])
    if len(addresses) > 1 or any(set(a) - {"postalCode"} for a in addresses):
        problems.append(("Patient.address", "handregen stores the postal code only"))
    if resource.get("gender") is None:
        problems.append(("Patient.gender", "required"))
    if len(str(resource.get("birthDate", ""))) != 10:
        problems.append(("Patient.birthDate", "a full date of birth (YYYY-MM-DD) is required"))
    if problems:
        raise Unstorable(problems)
    return {
        "mrn": mrn,
        "given_name": given[0],
        "family_name": name.get("family", ""),
        "birth_date": date.fromisoformat(resource["birthDate"]),
        "sex": resource["gender"],
        "dominant_hand": ext.get(EXT_DOMINANT_HAND) or "",
        "occupation": ext.get(EXT_OCCUPATION) or "",
        "phone": telecom.get("phone", ""),
        "email": telecom.get("email", ""),
        "postal_code": addresses[0].get("postalCode", "") if addresses else "",
    }


def patient_create(*, actor: Actor, resource: dict[str, Any]) -> Patient:
    return patient_register(actor=actor, **patient_fields(resource))


def patient_update(*, actor: Actor, patient_id: str, resource: dict[str, Any]) -> Patient:
    """Amend a patient of the actor's site to what `resource` says (NotFound elsewhere)."""
    if resource.get("id") != patient_id:
        raise Unstorable([("Patient.id", "must be the id in the URL")])
    patient = patient_get(actor=actor, patient_id=patient_id, channel="fhir")
    fields = patient_fields(resource)
    changes = {k: v for k, v in fields.items() if getattr(patient, k) != v}
    if not changes:
        return patient
    return patient_amend(actor=actor, patient=patient, changes=changes, reason="FHIR update")


def _answers(resource: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    answers: dict[str, Any] = {}
    problems = []
    for i, item in enumerate(resource.get("item", [])):
        where = f"QuestionnaireResponse.item[{i}]"
        if set(item) - {"linkId", "answer", "text"} or len(item.get("answer", [])) != 1:
            problems.append((where, "needs one answer and no nested items"))
            continue
        answer = item["answer"][0]
        value = next((v for k, v in answer.items() if k.startswith("value")), None)
        if isinstance(value, dict):
            value = value.get("code")
        if value is None:
            problems.append((f"{where}.answer[0]", "needs a value"))
        answers[item["linkId"]] = value
    return answers, problems


def response_create(*, actor: Actor, resource: dict[str, Any], patients: dict[str, Patient] | None = None) -> Any:
    """Record a QuestionnaireResponse at the follow-up its extensions name, keeping its `authored` time.

    `patients`: Patients created earlier in the same transaction, by their `urn:uuid:` fullUrl."""
    problems = _only(resource, RESPONSE_ELEMENTS)
    ext, ext_problems = _extensions(resource, {EXT_TIMEPOINT, EXT_CYCLE, EXT_SIDE, EXT_VARIANT})
    problems += ext_problems
    if resource.get("status") != "completed":
        problems.append(("QuestionnaireResponse.status", "only completed responses are stored"))
    if not ext.get(EXT_TIMEPOINT):
        problems.append(("QuestionnaireResponse.extension", f"needs the follow-up time point ({EXT_TIMEPOINT})"))
    canonical = resource.get("questionnaire", "").split("|", 1)[0]
    if not canonical.startswith(f"{QUESTIONNAIRE_BASE}/"):
        problems.append(("QuestionnaireResponse.questionnaire", f"must be one of {QUESTIONNAIRE_BASE}/<instrument>"))
    answers, answer_problems = _answers(resource)
    problems += answer_problems
    authored: datetime | None = None
    try:
        authored = date_range(resource["authored"])[0] if resource.get("authored") else None
    except SearchValueError:
        problems.append(("QuestionnaireResponse.authored", "is not a FHIR dateTime"))
    if authored is None:
        problems.append(("QuestionnaireResponse.authored", "required: when the answers were given"))
    if problems:
        raise Unstorable(problems)
    reference = resource.get("subject", {}).get("reference", "")
    patient = (patients or {}).get(reference)
    if patient is None:
        kind, ident = reference_key(reference)
        if kind != "Patient":
            raise Unstorable([("QuestionnaireResponse.subject", "must refer to a Patient")])
        patient = patient_get(actor=actor, patient_id=ident, channel="fhir")
    follow_up = (
        FollowUp.objects.filter(
            patient=patient,
            site=actor.site,
            cycle=ext.get(EXT_CYCLE) or 1,
            timepoint=ext[EXT_TIMEPOINT],
            superseded_at__isnull=True,
        )
        .order_by("-created_at")
        .first()
    )
    if follow_up is None:
        raise Unstorable([("QuestionnaireResponse.extension", "the patient has no such follow-up here")])
    return response_record(
        actor=actor,
        follow_up=follow_up,
        instrument=canonical.rsplit("/", 1)[-1],
        answers=answers,
        side=ext.get(EXT_SIDE) or None,
        pinch_type=ext.get(EXT_VARIANT) or "",
        answered_at=authored,
    )


def transaction_apply(*, actor: Actor, bundle: dict[str, Any]) -> list[tuple[str, Any]]:
    """Apply a `transaction` Bundle all or nothing; [(resource type, record)] in entry order.

    Patients first (FHIR processes creates before references are resolved), then the responses, whose
    `urn:uuid:` subjects resolve to the Patients created here. A refusal names the entry."""
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        raise Unstorable([("Bundle.type", "must be transaction")])
    entries = list(enumerate(bundle.get("entry") or []))
    malformed = [i for i, e in entries if not isinstance(e, dict) or not isinstance(e.get("resource", {}), dict)]
    if malformed or not isinstance(bundle.get("entry", []), list):
        raise Unstorable([(f"Bundle.entry[{malformed[0] if malformed else 0}]", "not a Bundle entry")])
    order = sorted(entries, key=lambda e: e[1].get("resource", {}).get("resourceType") != "Patient")
    done: dict[int, tuple[str, Any]] = {}
    created: dict[str, Patient] = {}
    with transaction.atomic():
        for i, entry in order:
            done[i] = _apply_entry(actor, i, entry, created)
    return [done[i] for i, _ in entries]


def _apply_entry(actor: Actor, i: int, entry: dict[str, Any], created: dict[str, Patient]) -> tuple[str, Any]:
    resource = entry.get("resource", {})
    kind = resource.get("resourceType")
    method, url = entry.get("request", {}).get("method"), entry.get("request", {}).get("url", "")
    try:
        if kind == "Patient" and method == "POST":
            patient = patient_create(actor=actor, resource=resource)
            if entry.get("fullUrl"):
                created[entry["fullUrl"]] = patient
            return kind, patient
        if kind == "Patient" and method == "PUT":
            return kind, patient_update(actor=actor, patient_id=url.rsplit("/", 1)[-1], resource=resource)
        if kind == "QuestionnaireResponse" and method == "POST":
            return kind, response_create(actor=actor, resource=resource, patients=created)
    except Unstorable as refused:
        raise Unstorable(
            [(f"Bundle.entry[{i}].resource.{w.split('.', 1)[-1]}", why) for w, why in refused.problems]
        ) from refused
    except (InvalidInput, GuardRefused, NotFound) as refused:
        raise Unstorable([(f"Bundle.entry[{i}]", str(refused) or "not found here")]) from refused
    raise Unstorable([(f"Bundle.entry[{i}].request", "only POST/PUT Patient and POST QuestionnaireResponse")])
