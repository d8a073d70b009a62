"""Post-procedure care and discharge: the `post_care` step, its guards, and the schedule it creates."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from handregen.aftercare.models import PostCareRecord
from handregen.aftercare.services import post_care_record
from handregen.audit.models import AuditEvent
from handregen.errors import GuardRefused, InvalidInput
from handregen.outcomes.models import FollowUp
from handregen.procedures.selectors import last_injection

LONDON = ZoneInfo("Europe/London")


def observation(at, **values):
    return {
        "at": at,
        "pain_nrs": 3,
        "heart_rate": 72,
        "systolic_bp": 128,
        "diastolic_bp": 80,
        "injection_site": "normal",
        "harvest_site": "normal",
    } | values


def post_care_body(episode, **overrides):
    at = last_injection(episode=episode).performed_at
    return {
        "monitoring": [observation((at + timedelta(minutes=30)).isoformat())],
        "discharged_at": (at + timedelta(minutes=90)).isoformat(),
        "instructions_given": True,
    } | overrides


def test_post_care_moves_the_episode_to_follow_up_and_schedules_from_the_injection_date(injected, api, clock):
    clock.advance(seconds=(datetime(2027, 3, 2, 8, 0, tzinfo=LONDON) - timezone.now()).total_seconds())
    episode = injected()
    response = api("nurse").post(f"/api/v1/episodes/{episode.pk}/post-care", post_care_body(episode))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"] == "follow_up" and body["episode"]["stage"] == "follow_up"
    assert body["instructions"]["splint_days"] == 14 and body["instructions"]["call_if"]
    assert [(f["timepoint"], f["due_from"], f["due_until"], f["status"]) for f in body["follow_ups"]] == [
        ("baseline", "2027-03-02", "2027-03-02", "due"),  # open until the end of injection day
        ("w2", "2027-03-13", "2027-03-23", "upcoming"),
        ("w6", "2027-04-06", "2027-04-27", "upcoming"),
        ("m3", "2027-05-18", "2027-06-22", "upcoming"),
        ("m6", "2027-08-10", "2027-09-28", "upcoming"),
        ("m12", "2028-01-31", "2028-04-15", "upcoming"),  # 2028 is a leap year
    ]
    moved = AuditEvent.objects.get(action="episode.post_care", outcome="done")
    assert moved.changes["stage"] == ["injected", "follow_up"]
    assert moved.changes["injected_on"] == [None, "2027-03-02"]
    assert AuditEvent.objects.filter(action="post_care.record", episode_id=episode.pk).count() == 1


def test_discharge_without_instructions_or_monitoring_is_refused_with_reasons_and_audited(injected, persona):
    episode = injected()
    at = last_injection(episode=episode).performed_at
    with pytest.raises(GuardRefused) as caught:
        post_care_record(
            actor=persona("nurse"),
            episode=episode,
            monitoring=[],
            discharged_at=at + timedelta(hours=1),
            instructions_given=False,
        )
    assert len(caught.value.reasons) == 2
    assert "monitoring observation" in caught.value.reasons[0]
    assert "after-care instructions" in caught.value.reasons[1]
    assert not PostCareRecord.objects.exists() and not FollowUp.objects.exists()
    refusal = AuditEvent.objects.get(action="episode.post_care", outcome="refused")
    assert "after-care instructions" in refusal.reason


def test_post_care_before_any_injection_is_refused_naming_the_stage(make_episode, api):
    episode = make_episode()
    now = timezone.now()
    response = api("nurse").post(
        f"/api/v1/episodes/{episode.pk}/post-care",
        {"monitoring": [observation(now.isoformat())], "discharged_at": now.isoformat(), "instructions_given": True},
    )
    assert response.status_code == 409
    reasons = response.json()["reasons"]
    assert "No injection is recorded for this treatment cycle." in reasons
    assert any("needs the episode at injected" in r for r in reasons)


def test_implausible_observations_and_times_are_422_naming_the_field(injected, api):
    episode = injected()
    client = api("nurse")
    at = last_injection(episode=episode).performed_at
    response = client.post(
        f"/api/v1/episodes/{episode.pk}/post-care",
        post_care_body(episode, monitoring=[observation((at + timedelta(minutes=5)).isoformat(), heart_rate=720)]),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "monitoring.0.heart_rate"
    response = client.post(
        f"/api/v1/episodes/{episode.pk}/post-care",
        post_care_body(
            episode,
            monitoring=[observation((at + timedelta(minutes=5)).isoformat(), diastolic_bp=130)],
            discharged_at=(at - timedelta(hours=1)).isoformat(),
        ),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"monitoring.0.diastolic_bp"}
    response = client.post(
        f"/api/v1/episodes/{episode.pk}/post-care",
        post_care_body(episode, discharged_at=(at - timedelta(hours=1)).isoformat()),
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"discharged_at", "monitoring.0.at"}
    assert not PostCareRecord.objects.exists()


def test_a_coordinator_may_not_record_post_procedure_care(injected, api):
    episode = injected()
    response = api("coordinator").post(f"/api/v1/episodes/{episode.pk}/post-care", post_care_body(episode))
    assert response.status_code == 409
    assert any("coordinator may not" in r for r in response.json()["reasons"])


def test_the_after_care_sheet_is_served_by_the_api_and_printable_on_the_web(injected, api, client, persona):
    from tests.conftest import verified_client

    episode = injected()
    sheet = api("nurse").get(f"/api/v1/episodes/{episode.pk}/aftercare-instructions").json()
    assert sheet["splint_days"] == 14 and len(sheet["instructions"]) == 4
    client = verified_client(persona("nurse"))
    page = client.get(f"/episodes/{episode.pk}/aftercare-sheet/").content.decode()
    assert "Wear your splint for 14 days" in page and "Fever, or redness" in page
    assert episode.patient.family_name in page


def test_the_post_care_page_discharges_and_shows_refusals_next_to_the_form(injected, client, persona):
    from tests.conftest import verified_client

    episode = injected()
    client = verified_client(persona("nurse"))
    url = f"/episodes/{episode.pk}/post-care/"
    page = client.get(url)
    assert page.status_code == 200 and "Record and discharge" in page.content.decode()
    at = timezone.localtime(last_injection(episode=episode).performed_at + timedelta(minutes=30))
    form = {
        "obs1_at": at.strftime("%Y-%m-%dT%H:%M"),
        "obs1_pain_nrs": "3",
        "obs1_injection_site": "normal",
        "discharged_at": (at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "This step was refused" in refused.content.decode()
    done = client.post(url, form | {"instructions_given": "on"})
    assert done.status_code == 302 and done["Location"] == f"/episodes/{episode.pk}/follow-ups/"
    assert FollowUp.objects.filter(episode=episode).count() == 6
    listing = client.get(done["Location"]).content.decode()
    assert "2 weeks" in listing and "12 months" in listing


def test_an_observation_day_is_the_sites_calendar_day(injected, persona):
    episode = injected()
    at = last_injection(episode=episode).performed_at
    record = post_care_record(
        actor=persona("nurse"),
        episode=episode,
        monitoring=[observation(at)],
        discharged_at=at + timedelta(minutes=45),
        instructions_given=True,
    )
    w2 = FollowUp.objects.get(episode=episode, timepoint="w2")
    assert w2.injected_on == timezone.localtime(at, LONDON).date()
    assert record.monitoring[0]["at"] == at.isoformat()
    assert isinstance(w2.due_on, date)


def test_invalid_monitoring_values_are_refused_by_the_service_too(injected, persona):
    episode = injected()
    at = last_injection(episode=episode).performed_at
    with pytest.raises(InvalidInput) as caught:
        post_care_record(
            actor=persona("nurse"),
            episode=episode,
            monitoring=[{"at": at, "temperature_c": 52}],
            discharged_at=at + timedelta(hours=1),
            instructions_given=True,
        )
    assert caught.value.errors[0][0] == "monitoring.0.temperature_c"
