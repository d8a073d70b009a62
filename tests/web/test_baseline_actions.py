"""Before the injection, the episode page offers the protocol's baseline questionnaires that are still missing."""

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from handregen.aftercare.services import post_care_record
from handregen.audit.models import AuditEvent
from handregen.outcomes.models import QuestionnaireLink
from handregen.outcomes.services import baseline_response_record


def page_text(client: Client, episode) -> str:
    response = client.get(f"/episodes/{episode.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_new_episode_offers_each_baseline_instrument_and_a_patient_link(make_episode, signed_in):
    episode = make_episode()
    text = page_text(signed_in("nurse"), episode)
    assert "Baseline before the injection" in text
    assert "Record baseline Pain numeric rating scale (NRS, 0-10)" in text
    assert f"/episodes/{episode.pk}/baseline/nrs/" in text
    assert "Record baseline QuickDASH" in text
    assert "Send link to patient" in text


def test_a_recorded_baseline_instrument_is_no_longer_offered(make_episode, signed_in, nurse):
    episode = make_episode()
    baseline_response_record(actor=nurse, episode=episode, instrument="nrs", answers={"pain": 6})
    text = page_text(signed_in("nurse"), episode)
    assert "Record baseline Pain numeric rating scale" not in text
    assert "Record baseline QuickDASH" in text


def test_roles_that_do_not_record_outcomes_see_no_baseline_actions(make_episode, signed_in):
    episode = make_episode()
    assert "Record baseline" not in page_text(signed_in("lab_technician"), episode)


def test_after_the_injection_no_baseline_is_offered(injected, signed_in):
    episode = injected()
    assert "Record baseline" not in page_text(signed_in("nurse"), episode)


def test_sending_the_link_shows_it_once_and_the_patient_sees_the_baseline_questions(make_episode, signed_in):
    episode = make_episode()
    response = signed_in("nurse").post(f"/episodes/{episode.pk}/baseline/link/")
    assert response.status_code == 200
    url = re.search(r'value="(https?://[^"]+/q/[^"]+)"', response.content.decode()).group(1)
    link = QuestionnaireLink.objects.get(patient=episode.patient)
    assert link.follow_up.timepoint == "baseline" and link.follow_up.episode_id == episode.pk
    assert AuditEvent.objects.filter(action="questionnaire_link.create", episode_id=episode.pk).exists()
    patient = Client()
    assert patient.get("/q/" + url.rsplit("/q/", 1)[1]).status_code == 302
    text = patient.get("/q/", follow=True).content.decode()
    assert "before your treatment" in text and "Pain numeric rating scale" in text
    assert "grip" not in text.lower().split("after your treatment")[0]  # measured by staff, never asked here


def test_a_baseline_link_after_the_injection_is_refused_in_plain_words(injected, signed_in, team, clock):
    episode = injected()
    at = timezone.now()
    observation = {
        "at": at - timedelta(minutes=60),
        "pain_nrs": 3,
        "heart_rate": 72,
        "systolic_bp": 128,
        "diastolic_bp": 80,
        "injection_site": "normal",
        "harvest_site": "normal",
    }
    post_care_record(
        actor=team.nurse, episode=episode, monitoring=[observation], discharged_at=at, instructions_given=True
    )
    clock.advance(days=2)  # the baseline window closed on the injection day
    response = signed_in("nurse").post(f"/episodes/{episode.pk}/baseline/link/")
    assert response.status_code == 409
    assert "Time order rule &#x27;baseline before injection&#x27;" in response.content.decode()


def test_with_htmx_the_link_comes_back_as_a_fragment_for_the_episode_page(make_episode, signed_in):
    episode = make_episode()
    client = signed_in("nurse")
    page = page_text(client, episode)
    assert 'hx-post="/episodes/' in page and "django_htmx/htmx-2.min.js" in page
    response = client.post(f"/episodes/{episode.pk}/baseline/link/", headers={"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert re.search(r'value="https?://[^"]+/q/[^"]+"', text)
