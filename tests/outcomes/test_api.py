"""The follow-up API (DESIGN §9): list shape, responses with scores, 422 naming items, 404 for other sites."""

from handregen.audit.models import AccessEvent, AuditEvent
from handregen.outcomes.models import QuestionnaireResponse
from tests.outcomes.conftest import follow_up


def test_the_follow_ups_of_an_episode_are_listed_with_status_and_instruments(scheduled, api):
    episode = scheduled(days_ago=14)
    body = api("nurse").get(f"/api/v1/episodes/{episode.pk}/follow-ups").json()
    assert body["count"] == 6
    first, w2 = body["items"][0], body["items"][1]
    assert first["timepoint"] == "baseline"
    assert {k: w2[k] for k in ("timepoint", "status", "instruments")} == {
        "timepoint": "w2",
        "status": "due",
        "instruments": ["nrs", "pgic"],
    }
    assert set(w2) >= {"id", "timepoint", "due_from", "due_until", "status", "instruments"}
    assert AccessEvent.objects.filter(patient_id=episode.patient_id, category="outcomes", channel="api").exists()


def test_posting_answers_returns_201_with_the_computed_scores(scheduled, api):
    episode = scheduled(days_ago=42)
    w6 = follow_up(episode, "w6")
    response = api("coordinator").post(
        f"/api/v1/follow-ups/{w6.pk}/responses",
        {"instrument": "quickdash", "answers": {f"q{i}": 3 for i in range(1, 12)}},
    )
    assert response.status_code == 201, response.content
    scores = response.json()["scores"]
    assert scores == {
        "total": 50.0,
        "subscales": {},
        "scorable": True,
        "reasons": [],
        "scoring_version": "quickdash-1",
        "missing_policy": "quickdash_10_of_11",
    }
    assert AuditEvent.objects.filter(action="outcome.response_record", actor_role="coordinator").count() == 1


def test_out_of_range_answers_are_a_422_naming_each_item(scheduled, api):
    episode = scheduled(days_ago=42)
    w6 = follow_up(episode, "w6")
    response = api("nurse").post(
        f"/api/v1/follow-ups/{w6.pk}/responses",
        {"instrument": "quickdash", "answers": {"q1": 6, "q2": "often", "q3": 2.5, "q4": 2}},
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["answers.q1", "answers.q2", "answers.q3"]
    assert not QuestionnaireResponse.objects.exists()


def test_a_response_for_another_sites_follow_up_is_404(scheduled, api, persona):
    north = scheduled(days_ago=14, actor=persona("nurse", "north"))
    w2 = follow_up(north, "w2")
    client = api("nurse")
    assert (
        client.post(f"/api/v1/follow-ups/{w2.pk}/responses", {"instrument": "nrs", "answers": {"pain": 3}}).status_code
        == 404
    )
    assert client.get(f"/api/v1/episodes/{north.pk}/follow-ups").status_code == 404
    assert client.get(f"/api/v1/follow-ups/{w2.pk}").status_code == 404
    assert not QuestionnaireResponse.objects.exists()


def test_a_double_submission_stores_one_response_and_the_second_is_a_409(scheduled, api):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    client = api("nurse")
    body = {"instrument": "nrs", "answers": {"pain": 3}}
    assert client.post(f"/api/v1/follow-ups/{w2.pk}/responses", body).status_code == 201
    second = client.post(f"/api/v1/follow-ups/{w2.pk}/responses", body)
    assert second.status_code == 409 and "amendment" in second.json()["reasons"][0]
    amended = client.post(f"/api/v1/follow-ups/{w2.pk}/responses", body | {"amendment_reason": "typo"})
    assert amended.status_code == 201 and amended.json()["version"] == 2
    assert QuestionnaireResponse.objects.count() == 1


def test_grip_trials_are_recorded_as_a_measurement(scheduled, api):
    episode = scheduled(days_ago=91)
    m3 = follow_up(episode, "m3")
    response = api("nurse").post(
        f"/api/v1/follow-ups/{m3.pk}/measurements",
        {"instrument": "grip", "trials": {"trial1": 20, "trial2": 22, "trial3": 21}, "device": "Jamar"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["scores"]["total"] == 21.0 and body["side"] == "right"
    assert set(body["options"]) == {"age", "sex", "side"}
    bad = api("nurse").post(
        f"/api/v1/follow-ups/{m3.pk}/measurements",
        {"instrument": "pinch", "trials": {"trial1": 45}, "pinch_type": "key"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "trials.trial1"


def test_baseline_responses_can_be_recorded_before_the_injection(make_episode, api, nurse):
    episode = make_episode(actor=nurse)
    response = api("nurse").post(
        f"/api/v1/episodes/{episode.pk}/baseline-responses", {"instrument": "nrs", "answers": {"pain": 7}}
    )
    assert response.status_code == 201, response.content
    assert response.json()["timepoint"] == "baseline"
    listed = api("nurse").get(f"/api/v1/episodes/{episode.pk}/follow-ups").json()
    assert [i["timepoint"] for i in listed["items"]] == ["baseline"]


def test_the_worklist_endpoint_lists_due_follow_ups_of_the_site(scheduled, api):
    episode = scheduled(days_ago=14)
    body = api("coordinator").get("/api/v1/follow-ups", status="due").json()
    assert [(i["episode_id"], i["timepoint"]) for i in body["items"]] == [(str(episode.pk), "w2")]


def test_a_researcher_cannot_read_or_write_follow_ups(scheduled, api):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    client = api("researcher")
    assert client.get(f"/api/v1/episodes/{episode.pk}/follow-ups").status_code == 403
    assert (
        client.post(f"/api/v1/follow-ups/{w2.pk}/responses", {"instrument": "nrs", "answers": {"pain": 1}}).status_code
        == 403
    )


def test_a_questionnaire_link_is_created_through_the_api_and_shown_once(scheduled, api):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    response = api("coordinator").post(f"/api/v1/follow-ups/{w2.pk}/questionnaire-link")
    assert response.status_code == 201
    assert "/q/" in response.json()["url"]
    m12 = follow_up(episode, "m12")
    refused = api("coordinator").post(f"/api/v1/follow-ups/{m12.pk}/questionnaire-link")
    assert refused.status_code == 409 and "not due until" in refused.json()["reasons"][0]
