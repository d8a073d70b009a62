"""Patient questionnaire links (security requirement Z4) through Django's test client."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from handregen.audit.models import AuditEvent
from handregen.outcomes.links import questionnaire_link_create
from handregen.outcomes.models import QuestionnaireLink, QuestionnaireResponse
from tests.outcomes.conftest import follow_up


@pytest.fixture
def link(scheduled, nurse):
    """(episode, w2 follow-up, token) for an episode whose 2-week follow-up is due today."""
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    url = questionnaire_link_create(actor=nurse, follow_up=w2)
    return episode, w2, url.rsplit("/q/", 1)[1]


def landed(token: str) -> Client:
    client = Client()
    response = client.get(f"/q/{token}")
    assert response.status_code == 302
    return client


def send(client: Client, answers: dict[str, str]):
    """POST the questionnaire page with the form token the page carries."""
    return client.post("/q/", answers | {"form_token": client.session["portal_form_token"]})


def test_the_token_has_at_least_128_random_bits_and_only_its_hash_is_stored(link):
    _, _, token = link
    assert len(token) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)  # 32 bytes in URL-safe base64
    stored = QuestionnaireLink.objects.get()
    assert len(stored.token_hash) == 64 and stored.token_hash != token
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert token not in dump.getvalue()


def test_landing_moves_the_link_into_the_session_and_drops_the_token_from_the_url(link):
    _, _, token = link
    client = Client()
    response = client.get(f"/q/{token}")
    assert response.status_code == 302
    assert response["Location"] == "/q/" and token not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer" and response["Cache-Control"] == "no-store"
    page = client.get("/q/")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer" and page["Cache-Control"] == "no-store"
    text = page.content.decode()
    assert token not in text
    assert "Pain numeric rating scale" in text and "Patient Global Impression of Change" in text
    assert "Wear your splint for 14 days" in text
    assert QuestionnaireLink.objects.get().first_used_at is not None


def test_a_bit_flipped_token_is_a_plain_404(link):
    _, _, token = link
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = Client().get(f"/q/{flipped}")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"


def test_an_expired_link_is_a_410(scheduled, nurse, settings):
    settings.HANDREGEN_LINK_DAYS = 0
    episode = scheduled(days_ago=14)
    url = questionnaire_link_create(actor=nurse, follow_up=follow_up(episode, "w2"))
    response = Client().get("/q/" + url.rsplit("/q/", 1)[1])
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_the_page_without_a_session_says_to_open_the_link(db):
    response = Client().get("/q/")
    assert response.status_code == 404 and "open the link in your e-mail" in response.content.decode()


def test_submitting_stores_scored_patient_responses_and_the_link_is_then_spent(link):
    episode, w2, token = link
    client = landed(token)
    client.get("/q/")
    response = send(client, {"nrs-pain": "3", "pgic-pgic": "2"})
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    stored = {r.instrument: r for r in QuestionnaireResponse.objects.filter(follow_up=w2)}
    assert (stored["nrs"].total, stored["nrs"].source, stored["nrs"].entered_by) == (3, "patient", None)
    assert stored["pgic"].subscales == {"improved": 1.0}
    w2.refresh_from_db()
    assert w2.completion == "auto"
    assert send(client, {"nrs-pain": "9", "pgic-pgic": "7"}).status_code == 410
    assert client.get("/q/").status_code == 410
    assert Client().get(f"/q/{token}").status_code == 410
    assert QuestionnaireResponse.objects.get(instrument="nrs").total == 3
    assert AuditEvent.objects.filter(action="questionnaire_link.submit", episode_id=episode.pk).count() == 1


def test_an_answer_out_of_range_is_shown_on_the_page_and_nothing_is_stored(link):
    _, _, token = link
    client = landed(token)
    response = send(client, {"nrs-pain": "11", "pgic-pgic": "2"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()
    assert send(client, {"nrs-pain": "4", "pgic-pgic": "2"}).status_code == 200


def test_swapping_the_follow_up_or_patient_in_the_post_body_does_not_change_what_is_answered(link, scheduled):
    _, w2, token = link
    other = scheduled(days_ago=14)
    other_w2 = follow_up(other, "w2")
    client = landed(token)
    send(client, {"nrs-pain": "5", "follow_up": str(other_w2.pk), "follow_up_id": str(other_w2.pk),
                        "patient_id": str(other.patient_id), "link": "x", "prwe-p1": "3"})
    assert [(r.follow_up_id, r.instrument) for r in QuestionnaireResponse.objects.all()] == [(w2.pk, "nrs")]
    assert not QuestionnaireResponse.objects.filter(follow_up=other_w2).exists()


def test_a_second_browser_with_the_same_link_finds_it_spent_after_the_first_submits(link):
    _, _, token = link
    first, second = landed(token), landed(token)
    assert send(first, {"nrs-pain": "2"}).status_code == 200
    assert send(second, {"nrs-pain": "8"}).status_code == 410
    assert QuestionnaireResponse.objects.count() == 1


def test_a_staff_entry_closes_the_patients_link(link, nurse):
    from handregen.outcomes.services import response_record

    _, w2, token = link
    response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 2})
    response_record(actor=nurse, follow_up=w2, instrument="pgic", answers={"pgic": 4})
    assert Client().get(f"/q/{token}").status_code == 410


def test_a_post_without_the_pages_form_token_is_refused_and_stores_nothing(link):
    _, _, token = link
    client = landed(token)
    assert client.post("/q/", {"nrs-pain": "3"}).status_code == 403
    assert client.post("/q/", {"nrs-pain": "3", "form_token": "forged"}).status_code == 403
    assert not QuestionnaireResponse.objects.exists()
    assert send(client, {"nrs-pain": "3"}).status_code == 200
