"""$everything of a fully treated patient: every resource type handregen emits, each valid, and the same
resources by `<Type>?patient=`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import BaseModel

from handregen.interop.fhir.builders import BY_PATIENT
from handregen.interop.fhir.codes import CAUSALITY_CS, EXT_PRODUCT_USED, UCUM
from handregen.interop.fhir.search_params import SEARCH_PARAMS

EXPECTED_TYPES = {
    "Patient",
    "Condition",
    "Encounter",
    "Procedure",
    "Observation",
    "QuestionnaireResponse",
    "AdverseEvent",
    "BiologicallyDerivedProduct",
    "Consent",
    "CarePlan",
}


def _everything(api, episode):
    response = api().get(f"/fhir/R4/Patient/{episode.patient_id}/$everything")
    assert response.status_code == 200
    body = response.json()
    Bundle.model_validate(body)
    return [e["resource"] for e in body["entry"]]


def test_everything_of_a_treated_patient_carries_every_resource_type(api, treated):
    resources = _everything(api, treated())
    assert {r["resourceType"] for r in resources} == EXPECTED_TYPES


def test_every_resource_in_everything_validates_with_its_r4b_model(api, treated):
    for resource in _everything(api, treated()):
        model = get_fhir_model_class(resource["resourceType"])
        assert model.model_validate(resource).model_dump(mode="json", exclude_none=True) == resource


def test_everything_has_harvest_and_injection_procedures(api, treated):
    procedures = [r for r in _everything(api, treated()) if r["resourceType"] == "Procedure"]
    codes = {c["code"] for p in procedures for c in p["code"]["coding"]}
    assert "intra_articular_cell_injection" in codes
    assert any(code.startswith("harvest_") for code in codes)
    injection = next(p for p in procedures if "extension" in p)
    (used,) = [e for e in injection["extension"] if e["url"] == EXT_PRODUCT_USED]
    assert used["valueReference"]["reference"].startswith("BiologicallyDerivedProduct/")
    assert "usedReference" not in injection  # R4 allows only Device, Medication or Substance there


def test_everything_has_score_grip_pain_and_staging_observations(api, treated):
    observations = [r for r in _everything(api, treated()) if r["resourceType"] == "Observation"]
    codes = {c["code"] for o in observations for c in o["code"]["coding"]}
    assert {"nrs", "grip", "eaton_littler", "kellgren_lawrence"} <= codes
    assert "72514-3" in codes  # the NRS pain score carries its LOINC code
    grip = [o for o in observations if any(c["code"] == "grip" for c in o["code"]["coding"])]
    assert len(grip) == 2 and all(o["valueQuantity"]["unit"] == "kg" for o in grip)


def test_every_reference_in_everything_points_into_the_bundle(api, treated):
    resources = _everything(api, treated())
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}

    def references(value):
        if isinstance(value, dict):
            if isinstance(value.get("reference"), str):
                yield value["reference"]
            for v in value.values():
                yield from references(v)
        elif isinstance(value, list):
            for v in value:
                yield from references(v)

    dangling = {ref for r in resources for ref in references(r)} - present
    assert dangling == set()


def test_search_by_patient_returns_the_same_resources_per_type(api, treated):
    episode = treated()
    client = api()
    everything = _everything(api, episode)
    for resource_type in BY_PATIENT:
        by = "patient" if "patient" in SEARCH_PARAMS[resource_type] else "subject"  # AdverseEvent: subject only
        body = client.get(f"/fhir/R4/{resource_type}", **{by: f"Patient/{episode.patient_id}"}).json()
        Bundle.model_validate(body)
        found = [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]
        assert found == [r for r in everything if r["resourceType"] == resource_type], resource_type
        assert body["total"] == len(found)


def _reference_targets(element: Any, where: str) -> Iterator[tuple[str, str, list[str]]]:
    """(path, referenced type, types the R4B model allows there) for every Reference in a validated model."""
    fields = type(element).model_fields
    for name in fields:
        value = getattr(element, name, None)
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, BaseModel):
                continue
            allowed = (fields[name].json_schema_extra or {}).get("enum_reference_types")
            reference = getattr(item, "reference", None) if type(item).__name__ == "Reference" else None
            if reference and allowed:
                yield f"{where}.{name}", reference.split("/")[-2], list(allowed)
            yield from _reference_targets(item, f"{where}.{name}")


def test_every_reference_points_to_a_type_r4_allows_there(api, treated):
    wrong = []
    checked = 0
    for resource in _everything(api, treated()):
        model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        for path, target, allowed in _reference_targets(model, resource["resourceType"]):
            checked += 1
            if target not in allowed and "Resource" not in allowed:
                wrong.append(f"{path} → {target} (allowed: {', '.join(allowed)})")
    assert checked > 20 and wrong == []


def test_hl7_codes_for_seriousness_causality_and_score_units(api, treated):
    resources = _everything(api, treated())
    (event,) = [r for r in resources if r["resourceType"] == "AdverseEvent"]
    seriousness = event["seriousness"]["coding"][0]
    assert seriousness["system"] == "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
    assert seriousness["code"] == "Non-serious"
    assessment = event["suspectEntity"][0]["causality"][0]["assessment"]["coding"]
    assert {"system": CAUSALITY_CS, "code": "Probably-Likely", "display": "Probably/Likely"} in assessment
    assert event["suspectEntity"][0]["instance"]["reference"].startswith("Procedure/")
    scores = [r for r in resources if r["resourceType"] == "Observation" and "valueQuantity" in r]
    units = {(o["valueQuantity"]["system"], o["valueQuantity"]["code"]) for o in scores}
    assert units == {(UCUM, "{score}"), (UCUM, "kg")}
    assert all("lastUpdated" in r["meta"] and "versionId" in r["meta"] for r in resources)
