"""The adverse-event and re-intervention API (DESIGN §9)."""

from datetime import date, timedelta

from handregen.audit.models import AuditEvent
from handregen.safety.models import AdverseEvent, Reintervention


def body(**overrides):
    return {
        "term": "harvest_site_haematoma",
        "onset_date": date.today().isoformat(),
        "grade": 2,
        "serious": False,
        "relatedness": "certain",
    } | overrides


def test_an_adverse_event_is_created_with_201_and_listed(make_episode, api):
    episode = make_episode()
    response = api("nurse").post(
        f"/api/v1/episodes/{episode.pk}/adverse-events",
        body(relatedness_harvest="certain", relatedness_injection="unlikely", action_taken="observation"),
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["grade"], created["related"], created["relatedness_harvest"]) == (2, True, "certain")
    listed = api("physician").get(f"/api/v1/episodes/{episode.pk}/adverse-events").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == created["id"]
    assert api("physician").get(f"/api/v1/adverse-events/{created['id']}").json()["term"] == "harvest_site_haematoma"


def test_grade_5_that_is_not_serious_is_a_422(make_episode, api):
    episode = make_episode()
    response = api("physician").post(f"/api/v1/episodes/{episode.pk}/adverse-events", body(grade=5, serious=False))
    assert response.status_code == 422
    assert "serious" in [e["field"] for e in response.json()["errors"]]
    assert not AdverseEvent.objects.exists()


def test_a_future_onset_and_an_out_of_range_grade_are_422(make_episode, api):
    episode = make_episode()
    future = (date.today() + timedelta(days=2)).isoformat()
    response = api("physician").post(f"/api/v1/episodes/{episode.pk}/adverse-events", body(onset_date=future))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "onset_date"
    response = api("physician").post(f"/api/v1/episodes/{episode.pk}/adverse-events", body(grade=6))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "grade"
    response = api("physician").post(f"/api/v1/episodes/{episode.pk}/adverse-events", body(relatedness="likely"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "relatedness"


def test_a_grade_5_serious_event_is_accepted_and_flags_the_physician(make_episode, api):
    episode = make_episode()
    response = api("physician").post(
        f"/api/v1/episodes/{episode.pk}/adverse-events", body(term="infection", grade=5, serious=True)
    )
    assert response.status_code == 201, response.content
    assert response.json()["seriousness_criteria"] == ["death"] and response.json()["alerted"] is True
    alerts = api("physician").get("/api/v1/safety-alerts").json()
    assert alerts["count"] == 1
    acknowledged = api("physician").post(f"/api/v1/safety-alerts/{alerts['items'][0]['id']}/acknowledge")
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_at"]
    assert api("physician").get("/api/v1/safety-alerts").json()["count"] == 0


def test_another_sites_episode_is_404_and_a_coordinator_may_not_record_events(make_episode, api, persona):
    north_episode = make_episode(actor=persona("physician", "north"))
    assert api("nurse").post(f"/api/v1/episodes/{north_episode.pk}/adverse-events", body()).status_code == 404
    assert api("nurse").get(f"/api/v1/episodes/{north_episode.pk}/adverse-events").status_code == 404
    episode = make_episode()
    assert api("coordinator").post(f"/api/v1/episodes/{episode.pk}/adverse-events", body()).status_code == 403
    assert not AdverseEvent.objects.exists()


def test_an_amendment_records_the_outcome_and_needs_a_reason(make_episode, api):
    episode = make_episode()
    created = api("nurse").post(f"/api/v1/episodes/{episode.pk}/adverse-events", body()).json()
    missing = api("nurse").post(f"/api/v1/adverse-events/{created['id']}/amend", {"outcome": "recovered"})
    assert missing.status_code == 422
    amended = api("nurse").post(
        f"/api/v1/adverse-events/{created['id']}/amend",
        {"outcome": "recovered", "resolution_date": date.today().isoformat(), "reason": "seen in clinic", "version": 1},
    )
    assert amended.status_code == 200 and amended.json()["outcome"] == "recovered"
    stale = api("nurse").post(
        f"/api/v1/adverse-events/{created['id']}/amend", {"description": "x", "reason": "late edit", "version": 1}
    )
    assert stale.status_code == 409


def test_a_reintervention_is_recorded_with_date_and_type(make_episode, api):
    episode = make_episode()
    response = api("coordinator").post(
        f"/api/v1/episodes/{episode.pk}/reinterventions",
        {"performed_on": date.today().isoformat(), "type": "trapeziectomy"},
    )
    assert response.status_code == 201, response.content
    assert (response.json()["joint"], response.json()["side"]) == ("CMC1", "right")
    assert Reintervention.objects.get().type == "trapeziectomy"
    assert AuditEvent.objects.filter(action="reintervention.record", episode_id=episode.pk).count() == 1
    future = api("coordinator").post(
        f"/api/v1/episodes/{episode.pk}/reinterventions",
        {"performed_on": (date.today() + timedelta(days=9)).isoformat(), "type": "other"},
    )
    assert future.status_code == 422
    assert {e["field"] for e in future.json()["errors"]} == {"performed_on", "note"}
    listed = api("nurse").get(f"/api/v1/episodes/{episode.pk}/reinterventions").json()
    assert listed["count"] == 1
