"""The REST API v1 contract: shapes, problem+json errors, tokens and site scoping."""

import pytest

from handregen.patients.models import Patient

NEW_PATIENT = {
    "mrn": "API-1",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birth_date": "1950-12-10",
    "sex": "female",
    "dominant_hand": "right",
}


def test_a_patient_created_through_the_api_gets_an_id_and_a_wristband(api):
    response = api().post("/api/v1/patients", NEW_PATIENT)
    assert response.status_code == 201
    body = response.json()
    assert body["mrn"] == "API-1" and body["wristband_code"].startswith("W")
    assert Patient.objects.get(pk=body["id"]).family_name == "Lovelace"


def test_invalid_fields_answer_422_problem_json_naming_each_field(api):
    response = api().post("/api/v1/patients", NEW_PATIENT | {"given_name": "", "sex": "f", "birth_date": "1950-13-01"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert sorted(e["field"] for e in body["errors"]) == ["birth_date", "given_name", "sex"]
    assert not Patient.objects.exists()


def test_a_duplicate_mrn_answers_409_with_the_reason(api):
    client = api()
    client.post("/api/v1/patients", NEW_PATIENT)
    response = client.post("/api/v1/patients", NEW_PATIENT)
    assert response.status_code == 409
    assert response.json()["reasons"] == ["MRN API-1 is already used by another patient at this site."]


def test_without_a_valid_token_the_api_answers_401(api):
    assert api(None).get("/api/v1/patients").status_code == 401
    client = api()
    client.headers["Authorization"] = "Bearer hr_not-a-real-token"
    response = client.get("/api/v1/patients")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_researcher_cannot_read_patients(api, make_patient):
    patient = make_patient()
    assert api("researcher").get(f"/api/v1/patients/{patient.pk}").status_code == 403
    assert api("researcher").get("/api/v1/patients").status_code == 403


def test_another_sites_patient_and_episode_answer_404(api, make_episode):
    episode = make_episode()
    north = api("physician", "north")
    for path in (
        f"/api/v1/patients/{episode.patient_id}",
        f"/api/v1/episodes/{episode.pk}",
        f"/api/v1/episodes/{episode.pk}/timeline",
    ):
        response = north.get(path)
        assert response.status_code == 404, path
        assert "Tyler" not in response.content.decode()
    response = north.post(f"/api/v1/episodes/{episode.pk}/withdraw", {"reason": "not mine"})
    assert response.status_code == 404
    episode.refresh_from_db()
    assert episode.stage == "referred"


def test_patient_search_finds_by_name_or_mrn_within_the_site(api, make_patient, persona):
    make_patient(mrn="S-1", family_name="Okafor")
    make_patient(mrn="S-2", family_name="Byrne")
    make_patient(actor=persona("physician", "north"), mrn="S-3", family_name="Okafor")
    client = api()
    by_name = client.get("/api/v1/patients", q="okaf").json()
    assert by_name["count"] == 1 and by_name["items"][0]["mrn"] == "S-1"
    assert client.get("/api/v1/patients", q="S-2").json()["items"][0]["family_name"] == "Byrne"
    page = client.get("/api/v1/patients", limit=1, offset=1).json()
    assert page["count"] == 2 and len(page["items"]) == 1


def test_an_episode_opens_at_referred_with_its_allowed_actions(api, make_patient):
    patient = make_patient()
    response = api().post(
        "/api/v1/episodes",
        {"patient_id": str(patient.pk), "indication": "thumb_cmc_oa", "side": "right", "target_joints": ["cmc1"]},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["stage"] == "referred"
    assert body["allowed_actions"] == ["consultation", "withdraw"]
    assert body["protocol"] == {"code": "hand-oa-autologous", "version": "1.1"}
    assert body["target_joints"] == ["CMC1"]


def test_allowed_actions_depend_on_the_role(api, make_episode):
    episode = make_episode()
    assert api("nurse").get(f"/api/v1/episodes/{episode.pk}").json()["allowed_actions"] == ["withdraw"]
    assert api("lab_technician").get(f"/api/v1/episodes/{episode.pk}").json()["allowed_actions"] == []


def test_an_unknown_protocol_is_a_422_naming_the_field(api, make_patient):
    patient = make_patient()
    response = api().post(
        "/api/v1/episodes",
        {
            "patient_id": str(patient.pk),
            "indication": "thumb_cmc_oa",
            "side": "right",
            "target_joints": ["CMC1"],
            "protocol": "nope",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "protocol", "message": "unknown protocol 'nope'"}]


def test_withdrawal_and_the_timeline_show_who_did_what_in_order(api, make_episode):
    episode = make_episode()
    client = api()
    assert client.post(f"/api/v1/episodes/{episode.pk}/withdraw", {"reason": "moved"}).json()["stage"] == "withdrawn"
    refused = client.post(f"/api/v1/episodes/{episode.pk}/withdraw", {"reason": "again"})
    assert refused.status_code == 409 and "closed" in refused.json()["reasons"][0]
    timeline = client.get(f"/api/v1/episodes/{episode.pk}/timeline").json()
    assert [(i["action"], i["outcome"]) for i in timeline["items"]] == [
        ("episode.open", "done"),
        ("episode.withdraw", "done"),
        ("episode.withdraw", "refused"),
    ]
    assert timeline["items"][1]["by"] == "physician.demo"


def test_the_protocol_is_served_as_data(api):
    body = api("nurse").get("/api/v1/protocols/hand-oa-autologous").json()
    assert {"active_infection", "active_malignancy", "pregnancy"} <= set(body["eligibility"]["hard_exclusions"])
    assert {"anticoagulants", "recent_corticosteroid_injection"} <= set(body["eligibility"]["soft_flags"])
    assert body["preparation"]["checklist"] == [
        "fasting_confirmed",
        "medication_holds_confirmed",
        "consent_valid",
        "no_new_exclusion",
    ]
    assert body["consent_document_version"] == "2026.1"
    assert [p["code"] for p in body["follow_up"]] == ["w2", "w6", "m3", "m6", "m12"]
    assert {"code", "days", "window_before", "window_after", "instruments"} <= body["follow_up"][0].keys()
    assert api().get("/api/v1/protocols/unknown").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients",
        "/api/v1/episodes",
        "/api/v1/protocols/{code}",
        "/api/v1/episodes/{episode_id}/timeline",
        "/api/v1/episodes/{episode_id}/withdraw",
    ],
)
def test_the_openapi_document_lists_each_endpoint(api, path):
    schema = api().get("/api/v1/openapi.json").json()
    assert path in schema["paths"]
