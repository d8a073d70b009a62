"""Staff pages for follow-ups and adverse events, as a signed-in user sees them."""

from datetime import date

import pytest
from django.test import Client

from handregen.outcomes.models import QuestionnaireLink, QuestionnaireResponse
from handregen.safety.models import AdverseEvent
from tests.conftest import verified_client
from tests.outcomes.conftest import follow_up


@pytest.fixture
def signed_in(persona):
    def make(role: str = "nurse", site_code: str = "demo") -> Client:
        return verified_client(persona(role, site_code))

    return make


def test_the_episode_follow_up_page_shows_each_time_point_with_its_status(scheduled, signed_in):
    episode = scheduled(days_ago=30)
    page = signed_in().get(f"/episodes/{episode.pk}/follow-ups/")
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "Missed (window passed)" in text and "Not yet due" in text and "12 months" in text


def test_the_coordinators_worklist_lists_due_follow_ups_of_the_site_only(scheduled, signed_in, make_patient, persona):
    scheduled(days_ago=14, patient=make_patient(family_name="Hughes"))
    north = persona("nurse", "north")
    scheduled(days_ago=14, actor=north, patient=make_patient(actor=north, family_name="Grant"))
    text = signed_in("coordinator").get("/follow-ups/").content.decode()
    assert "Hughes" in text and "Due now" in text and "Grant" not in text


def test_the_entry_form_is_built_from_the_instrument_and_scores_on_save(scheduled, signed_in):
    episode = scheduled(days_ago=42)
    w6 = follow_up(episode, "w6")
    client = signed_in()
    url = f"/follow-ups/{w6.pk}/enter/quickdash/"
    form = client.get(url).content.decode()
    assert "Opening a tight jar" in form and 'name="q11"' in form
    bad = client.post(url, {f"q{i}": "3" for i in range(1, 12)} | {"q4": "9"})
    assert "Select a valid choice" in bad.content.decode() and not QuestionnaireResponse.objects.exists()
    saved = client.post(url, {f"q{i}": "3" for i in range(1, 12)})
    assert saved.status_code == 302
    assert QuestionnaireResponse.objects.get().total == 50.0
    again = client.post(url, {f"q{i}": "2" for i in range(1, 12)})
    assert "This step was refused" in again.content.decode()
    amended = client.post(url, {f"q{i}": "2" for i in range(1, 12)} | {"amendment_reason": "entered from paper"})
    assert amended.status_code == 302 and QuestionnaireResponse.objects.get().total == 25.0


def test_grip_is_entered_with_the_hand_measured(scheduled, signed_in):
    episode = scheduled(days_ago=91)
    m3 = follow_up(episode, "m3")
    response = signed_in().post(
        f"/follow-ups/{m3.pk}/enter/grip/",
        {"trial1": "20", "trial2": "22", "trial3": "21", "side": "left", "device": "Jamar"},
    )
    assert response.status_code == 302
    assert QuestionnaireResponse.objects.get().side == "left"


def test_a_link_is_created_on_the_follow_up_page_and_shown_once(scheduled, signed_in):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    client = signed_in("coordinator")
    page = client.post(f"/follow-ups/{w2.pk}/", {"action": "link"}).content.decode()
    assert "/q/" in page and QuestionnaireLink.objects.count() == 1
    assert "/q/" not in client.get(f"/follow-ups/{w2.pk}/").content.decode()


def test_another_sites_follow_up_page_is_404(scheduled, signed_in, persona):
    north = scheduled(days_ago=14, actor=persona("nurse", "north"))
    client = signed_in()
    assert client.get(f"/follow-ups/{follow_up(north, 'w2').pk}/").status_code == 404
    assert client.get(f"/episodes/{north.pk}/follow-ups/").status_code == 404
    assert client.get(f"/episodes/{north.pk}/adverse-events/").status_code == 404


def test_the_adverse_event_form_shows_ctcae_grades_and_refuses_grade_5_not_serious(make_episode, signed_in):
    episode = make_episode()
    client = signed_in()
    url = f"/episodes/{episode.pk}/adverse-events/new/"
    assert "Life-threatening consequences; urgent intervention indicated" in client.get(url).content.decode()
    fields = {
        "term": "infection",
        "onset_date": date.today().isoformat(),
        "grade": "5",
        "serious": "no",
        "relatedness": "possible",
        "action_taken": "none",
        "outcome": "fatal",
    }
    refused = client.post(url, fields)
    assert "a grade 5 event (death) is serious" in refused.content.decode()
    saved = client.post(url, fields | {"grade": "2", "outcome": "recovering"})
    assert saved.status_code == 302 and AdverseEvent.objects.get().grade == 2
    listing = client.get(f"/episodes/{episode.pk}/adverse-events/").content.decode()
    assert "Infection (injection or harvest site)" in listing


def test_a_serious_event_appears_on_the_physicians_alert_page(make_episode, signed_in):
    episode = make_episode()
    signed_in().post(
        f"/episodes/{episode.pk}/adverse-events/new/",
        {
            "term": "vasovagal_reaction",
            "onset_date": date.today().isoformat(),
            "grade": "3",
            "serious": "yes",
            "seriousness_criteria": ["hospitalisation"],
            "relatedness": "probable",
            "action_taken": "hospitalisation",
            "outcome": "recovering",
        },
    )
    physician = signed_in("physician")
    alerts = physician.get("/safety/alerts/").content.decode()
    assert episode.patient.family_name in alerts and "Vasovagal reaction" in alerts
    alert_id = AdverseEvent.objects.get().alerts.get().pk
    assert physician.post(f"/safety/alerts/{alert_id}/").status_code == 302
    assert episode.patient.family_name not in physician.get("/safety/alerts/").content.decode()


def test_the_other_instruments_a_follow_up_may_record_are_named_in_words(scheduled, signed_in):
    episode = scheduled(days_ago=14)
    page = signed_in().get(f"/follow-ups/{follow_up(episode, 'w2').pk}/").content.decode()
    also = page.split("<p>Also:", 1)[1].split("</p>", 1)[0]
    assert "Grip strength" in also and "Pinch strength" in also
    assert ">grip<" not in also and ">pinch<" not in also  # no instrument code shown to a person
