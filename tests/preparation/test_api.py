"""The preparation API, the journey referred → prepared through the API, sites and the OpenAPI document."""

from __future__ import annotations

from handregen.pathway.models import Episode
from tests.conftest import PASSWORD
from tests.journeys import (
    CHECKLIST_ALL,
    CONSENT_BODY,
    consultation_data,
    criteria_body,
    to_consented,
    to_consulted,
)

PROBLEM = "application/problem+json"


def test_an_episode_goes_from_referred_to_prepared_through_the_api(api):
    physician, nurse = api("physician"), api("nurse")
    patient = physician.post(
        "/api/v1/patients",
        {"mrn": "J-1", "given_name": "Ada", "family_name": "Byron", "birth_date": "1960-12-10", "sex": "female",
         "dominant_hand": "right"},
    ).json()  # fmt: skip
    episode = physician.post(
        "/api/v1/episodes",
        {"patient_id": patient["id"], "indication": "thumb_cmc_oa", "side": "right", "target_joints": ["CMC1"]},
    ).json()
    assert episode["stage"] == "referred" and "consultation" in episode["allowed_actions"]
    base = f"/api/v1/episodes/{episode['id']}"
    protocol = physician.get("/api/v1/protocols/hand-oa-autologous").json()

    consulted = physician.post(f"{base}/consultation", consultation_data())
    assert consulted.status_code == 200, consulted.content
    assert consulted.json()["stage"] == "consulted" and consulted.json()["consultation"]["imaging_studies"] == 1

    answers = {c["code"]: c["kind"] == "inclusion" for c in protocol["eligibility"]["criteria"]}
    eligible = physician.post(
        f"{base}/candidacy", {"criteria": answers, "decision": "eligible", "password": PASSWORD, "rationale": ""}
    )
    assert eligible.status_code == 200, eligible.content
    assert eligible.json()["stage"] == "eligible" and eligible.json()["allowed_actions"] == ["consent", "withdraw"]

    body = CONSENT_BODY | {"document_version": protocol["consent_document_version"], "signer_name": "Ada Byron"}
    consented = physician.post(f"{base}/consent", body)
    assert consented.status_code == 200, consented.content
    signed = consented.json()["consent"]
    assert consented.json()["stage"] == "consented"
    assert signed["signature_valid"] and signed["signer_name"] == "Ada Byron" and signed["document_version"] == "2026.1"

    instructions = nurse.get(f"{base}/preparation").json()
    assert instructions["instructions"]["fasting_hours"] == 6
    assert [i["code"] for i in instructions["checklist_items"]] == protocol["preparation"]["checklist"]

    items = dict.fromkeys(protocol["preparation"]["checklist"], True)
    prepared = nurse.post(f"{base}/preparation", {"checklist": items})
    assert prepared.status_code == 200, prepared.content
    assert prepared.json()["stage"] == "prepared" and prepared.json()["preparation"]["cycle"] == 1
    assert "harvest" in physician.get(base).json()["allowed_actions"]

    timeline = [e["action"] for e in physician.get(f"{base}/timeline").json()["items"]]
    for action in ("episode.consultation", "episode.candidacy", "consent.record", "episode.consent",
                   "preparation.complete", "episode.preparation"):  # fmt: skip
        assert action in timeline


def test_the_openapi_document_shows_the_new_endpoints_and_their_descriptions(api):
    spec = api().get("/api/v1/openapi.json").json()
    for path in ("consultation", "candidacy", "consent", "preparation", "consent/pdf", "consent/withdraw"):
        assert f"/api/v1/episodes/{{episode_id}}/{path}" in spec["paths"], path
    assert "/api/v1/consent-documents/{version}" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert "derived_from" in schemas["CandidacyIn"]["properties"]["criteria"]["description"]
    assert "Required: `complaint`" in schemas["ConsultationIn"]["description"]


def test_eligible_with_a_hard_exclusion_is_a_409_naming_it(make_episode, physician, api):
    episode = to_consulted(make_episode(), physician)
    response = api().post(
        f"/api/v1/episodes/{episode.pk}/candidacy",
        {
            "criteria": criteria_body(active_infection=True),
            "decision": "eligible",
            "password": PASSWORD,
            "rationale": "fine",
        },
    )
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 409 and len(body["reasons"]) == 1 and "(active_infection)" in body["reasons"][0]
    assert Episode.objects.get(pk=episode.pk).stage == "consulted"


def test_another_sites_episode_is_a_404_on_every_endpoint(make_episode, physician, api):
    episode = to_consented(make_episode(), physician)
    north = api("physician", "north")
    base = f"/api/v1/episodes/{episode.pk}"
    assert north.post(f"{base}/consultation", consultation_data()).status_code == 404
    candidacy = {"criteria": criteria_body(), "decision": "eligible", "password": PASSWORD}
    assert north.post(f"{base}/candidacy", candidacy).status_code == 404
    assert north.post(f"{base}/consent", CONSENT_BODY).status_code == 404
    assert north.get(f"{base}/consent").status_code == 404
    assert north.get(f"{base}/consent/pdf").status_code == 404
    assert north.post(f"{base}/preparation", {"checklist": CHECKLIST_ALL}).status_code == 404


def test_preparation_with_an_item_false_is_a_409_naming_it(make_episode, physician, api):
    episode = to_consented(make_episode(), physician)
    response = api("nurse").post(
        f"/api/v1/episodes/{episode.pk}/preparation", {"checklist": CHECKLIST_ALL | {"fasting_confirmed": False}}
    )
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    assert response.json()["reasons"] == ["Checklist item fasting_confirmed is not confirmed: Fasting confirmed for "
                                          "the protocol's hours."]  # fmt: skip
