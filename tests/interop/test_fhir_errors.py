"""Every answer under /fhir/R4/ is FHIR: OperationOutcome errors (404, 405, 406, 401, 403), no CSRF on the
token-authenticated endpoints, ETag and Last-Modified on reads."""

from __future__ import annotations

from datetime import datetime

from django.test import Client
from django.utils.http import parse_http_date


def _is_outcome(response, status: int) -> bool:
    return (
        response.status_code == status
        and response["Content-Type"] == "application/fhir+json"
        and response.json()["resourceType"] == "OperationOutcome"
    )


def test_unknown_paths_types_and_ids_are_404_operation_outcomes(api, make_patient):
    client = api()
    assert _is_outcome(client.get("/fhir/R4/Medication"), 404)
    assert _is_outcome(client.get("/fhir/R4/Medication/abc"), 404)
    assert _is_outcome(client.get("/fhir/R4/Observation/00000000-0000-0000-0000-000000000000"), 404)
    assert _is_outcome(client.get("/fhir/R4/Patient/not-a-uuid"), 404)
    assert _is_outcome(client.get("/fhir/R4/no/such/path"), 404)
    assert _is_outcome(client.get("/fhir/R4/Patient/x/$everything"), 404)


def test_a_write_method_is_405_and_no_csrf_page_answers_it(api, make_patient):
    patient = make_patient()
    csrf_checking = Client(enforce_csrf_checks=True)
    headers = api().headers
    for method in ("post", "delete", "patch"):
        response = getattr(csrf_checking, method)(
            f"/fhir/R4/Patient/{patient.pk}", data="{}", content_type="application/fhir+json", headers=headers
        )
        assert _is_outcome(response, 405), method
        assert "GET" in response["Allow"]
    # Writes reach the FHIR checks (here: an empty body is no Patient), never a CSRF page.
    put = csrf_checking.put(
        f"/fhir/R4/Patient/{patient.pk}", data="{}", content_type="application/fhir+json", headers=headers
    )
    assert _is_outcome(put, 400)
    assert _is_outcome(
        csrf_checking.post("/fhir/R4/Patient", data="{}", content_type="application/json", headers=headers), 400
    )
    assert _is_outcome(
        csrf_checking.post(
            "/fhir/R4/Observation",
            data='{"resourceType": "Observation"}',
            content_type="application/json",
            headers=headers,
        ),
        405,
    )
    assert _is_outcome(
        csrf_checking.post("/fhir/R4/Patient", data="<Patient/>", content_type="application/xml", headers=headers), 415
    )


def test_an_unacceptable_accept_header_is_406(api, make_patient):
    patient = make_patient()
    client = api()
    xml_accept = {**client.headers, "Accept": "application/fhir+xml"}
    xml = client.client.get(f"/fhir/R4/Patient/{patient.pk}", headers=xml_accept)
    assert _is_outcome(xml, 406)
    for accept in ("application/fhir+json", "application/json", "*/*", "text/html, */*;q=0.8"):
        ok = client.client.get(f"/fhir/R4/Patient/{patient.pk}", headers={**client.headers, "Accept": accept})
        assert ok.status_code == 200, accept


def test_without_a_token_401_and_a_role_without_patient_access_403(api, make_patient):
    patient = make_patient()
    for path in (f"/fhir/R4/Patient/{patient.pk}", "/fhir/R4/Observation", "/fhir/R4/Questionnaire/nrs"):
        unauthenticated = api(None).get(path)
        assert _is_outcome(unauthenticated, 401) and unauthenticated["WWW-Authenticate"] == "Bearer"
        assert _is_outcome(api("researcher").get(path), 403)


def test_every_type_reads_by_id_with_etag_last_modified_and_meta(api, treated):
    episode = treated()
    client = api()
    everything = client.get(f"/fhir/R4/Patient/{episode.patient_id}/$everything").json()["entry"]
    for entry in everything:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"http://testserver/fhir/R4/{resource['resourceType']}/{resource['id']}"
        response = client.get(f"/fhir/R4/{resource['resourceType']}/{resource['id']}")
        assert response.status_code == 200 and response.json() == resource
        version, updated = resource["meta"]["versionId"], resource["meta"]["lastUpdated"]
        assert response["ETag"] == f'W/"{version}"'
        assert parse_http_date(response["Last-Modified"]) == int(datetime.fromisoformat(updated).timestamp())
        unchanged = client.client.get(
            f"/fhir/R4/{resource['resourceType']}/{resource['id']}",
            headers={**client.headers, "If-None-Match": f'W/"{version}"'},
        )
        assert unchanged.status_code == 304


def test_a_patient_amendment_moves_the_version_and_last_updated(api, make_patient, physician):
    from handregen.patients.services import patient_amend

    patient = make_patient(family_name="Before")
    client = api()
    before = client.get(f"/fhir/R4/Patient/{patient.pk}").json()["meta"]
    patient_amend(actor=physician, patient=patient, changes={"family_name": "After"}, reason="spelling")
    after = client.get(f"/fhir/R4/Patient/{patient.pk}").json()["meta"]
    assert int(after["versionId"]) == int(before["versionId"]) + 1
    assert after["lastUpdated"] > before["lastUpdated"]
