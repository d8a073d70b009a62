"""FHIR create/update of Patient and QuestionnaireResponse and `transaction` Bundles: through the services,
nothing dropped silently (refused with an OperationOutcome naming the element), all or nothing, site-scoped."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from handregen.audit.models import AuditEvent
from handregen.interop.fhir.codes import EXT_CYCLE, EXT_DOMINANT_HAND, EXT_TIMEPOINT, MRN_SYSTEM, QUESTIONNAIRE_BASE
from handregen.outcomes.models import QuestionnaireResponse
from handregen.patients.models import Patient
from tests.interop.conftest import discharge


def _send(client: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client.client, method)(
        path, data=json.dumps(body), content_type="application/fhir+json", headers=client.headers
    )


def _patient(mrn: str = "EHR-1", **changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "extension": [{"url": EXT_DOMINANT_HAND, "valueCode": "left"}],
        "identifier": [{"system": MRN_SYSTEM, "value": mrn}],
        "name": [{"family": "Weber", "given": ["Ina"]}],
        "gender": "female",
        "birthDate": "1961-05-02",
        "telecom": [{"system": "phone", "value": "+41 44 000 00 00"}],
        "address": [{"postalCode": "8001"}],
    } | changes


def _response(subject: str, authored: str, pain: int = 5) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "extension": [{"url": EXT_TIMEPOINT, "valueCode": "w2"}, {"url": EXT_CYCLE, "valueInteger": 1}],
        "questionnaire": f"{QUESTIONNAIRE_BASE}/nrs|1",
        "status": "completed",
        "subject": {"reference": subject},
        "authored": authored,
        "item": [{"linkId": "pain", "answer": [{"valueInteger": pain}]}],
    }


def test_a_created_patient_reads_back_with_what_was_sent(api):
    client = api("coordinator")
    response = _send(client, "post", "/fhir/R4/Patient", _patient())
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"] == f"http://testserver/fhir/R4/Patient/{created['id']}"
    assert created["name"][0] == {"use": "official", "family": "Weber", "given": ["Ina"]}
    assert created["address"] == [{"postalCode": "8001"}] and created["birthDate"] == "1961-05-02"
    assert AuditEvent.objects.filter(action="patient.register", object_id=created["id"]).exists()


def test_what_handregen_cannot_store_is_refused_naming_the_element(api):
    client = api("coordinator")
    cases = {
        "Patient.name[0].given": _patient(name=[{"family": "Weber", "given": ["Ina", "Maria"]}]),
        "Patient.address": _patient(address=[{"line": ["Bahnhofstrasse 1"], "postalCode": "8001"}]),
        "Patient.identifier[0]": _patient(identifier=[{"system": "http://ehr.example/mrn", "value": "9"}]),
        "Patient.maritalStatus": _patient(maritalStatus={"text": "married"}),
        "Patient.birthDate": _patient(birthDate="1961"),
        "Patient.name.0.given": _patient(name=[{"family": "Weber", "given": "Ina"}]),  # not valid R4 at all
    }
    for element, body in cases.items():
        response = _send(client, "post", "/fhir/R4/Patient", body)
        assert response.status_code == 422, element
        assert element in {e for issue in response.json()["issue"] for e in issue["expression"]}
    assert not Patient.objects.exists()


def test_an_update_amends_the_patient_and_another_sites_is_not_found(api, make_patient):
    patient = make_patient(mrn="EHR-2")
    body = _patient("EHR-2", id=str(patient.pk), name=[{"family": "Neumann", "given": ["Ina"]}])
    response = _send(api("coordinator"), "put", f"/fhir/R4/Patient/{patient.pk}", body)
    assert response.status_code == 200 and response.json()["name"][0]["family"] == "Neumann"
    assert response.json()["meta"]["versionId"] == "2"
    assert _send(api("coordinator", "north"), "put", f"/fhir/R4/Patient/{patient.pk}", body).status_code == 404
    assert _send(api("lab_technician"), "post", "/fhir/R4/Patient", _patient("EHR-3")).status_code == 403


def test_a_response_keeps_its_authored_time(api, injected, team):
    episode = injected()
    discharge(episode, team)
    authored = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    body = _response(f"Patient/{episode.patient_id}", authored.isoformat())
    response = _send(api("nurse"), "post", "/fhir/R4/QuestionnaireResponse", body)
    assert response.status_code == 201, response.content
    stored = QuestionnaireResponse.objects.get(pk=response.json()["id"])
    assert stored.entered_at == authored and stored.answers == {"pain": 5}
    assert response.json()["questionnaire"] == f"{QUESTIONNAIRE_BASE}/nrs|1"


def test_a_transaction_is_all_or_nothing_and_resolves_urn_uuid_references(api, injected, team):
    episode = injected()
    discharge(episode, team)
    client = api("nurse")
    urn = "urn:uuid:6b1d1f0e-2a55-4c7e-9d7a-2f6d1a1f0001"
    refused = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": urn, "resource": _patient("EHR-9"), "request": {"method": "POST", "url": "Patient"}},
            # the new patient has no follow-up yet: the whole bundle is refused
            {
                "resource": _response(urn, "2026-01-01T10:00:00Z"),
                "request": {"method": "POST", "url": "QuestionnaireResponse"},
            },
        ],
    }
    response = _send(client, "post", "/fhir/R4/", refused)
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[1].resource.extension"]
    assert not Patient.objects.filter(mrn="EHR-9").exists()
    applied = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": _response(f"Patient/{episode.patient_id}", timezone.now().isoformat(), pain=3),
                "request": {"method": "POST", "url": "QuestionnaireResponse"},
            },
            {"fullUrl": urn, "resource": _patient("EHR-9"), "request": {"method": "POST", "url": "Patient"}},
        ],
    }
    response = _send(client, "post", "/fhir/R4/", applied)
    assert response.status_code == 200, response.content
    locations = [e["response"]["location"] for e in response.json()["entry"]]
    assert locations[0].startswith("QuestionnaireResponse/") and locations[1].startswith("Patient/")
    assert Patient.objects.filter(mrn="EHR-9", site=episode.site).exists()
    assert QuestionnaireResponse.objects.get(pk=locations[0].split("/")[1]).answers == {"pain": 3}


def test_the_capability_statement_declares_exactly_the_writes_served(api, make_patient):
    statement = api(None).get("/fhir/R4/metadata").json()["rest"][0]
    writes = {
        (r["type"], i["code"])
        for r in statement["resource"]
        for i in r["interaction"]
        if i["code"] in ("create", "update")
    }
    assert writes == {("Patient", "create"), ("Patient", "update"), ("QuestionnaireResponse", "create")}
    assert statement["interaction"] == [{"code": "transaction"}]
    client = api("coordinator")
    for resource in statement["resource"]:
        kind = resource["type"]
        declared = {i["code"] for i in resource["interaction"]}
        created = _send(client, "post", f"/fhir/R4/{kind}", {"resourceType": kind})
        assert (created.status_code == 405) is ("create" not in declared), kind
