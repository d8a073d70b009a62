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


def checked(html: str, name: str) -> str | None:
    """The value of the radio button `name` that the page shows as chosen."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def answer(client: Client, number: int, answers: dict[str, str]):
    """POST one page of questions with the form token the session carries."""
    return client.post(f"/q/p/{number}/", answers | {"form_token": client.session["portal_form_token"]})


def send(client: Client):
    """POST the review step: send every saved answer."""
    return client.post("/q/review/", {"form_token": client.session["portal_form_token"]})


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
    resume = client.get("/q/")
    assert resume.status_code == 302 and resume["Location"] == "/q/p/1/"
    page = client.get("/q/p/1/")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer" and page["Cache-Control"] == "no-store"
    text = page.content.decode()
    assert token not in text
    assert "Your pain" in text and "Pain numeric rating scale" in text  # plain heading, clinical name small
    assert "Questions 1 of 2" in text and "Patient Global Impression" not in text  # one questionnaire a screen
    assert "Wear your splint for 14 days" in client.get("/q/review/").content.decode()
    assert QuestionnaireLink.objects.get().first_used_at is not None


def test_a_bit_flipped_token_is_a_plain_404(link, settings):
    settings.HANDREGEN_PATIENT_PHONE = "020 7946 0000"
    _, _, token = link
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = Client().get(f"/q/{flipped}")
    assert response.status_code == 404
    assert "does not work" in response.content.decode()
    assert 'href="tel:020 7946 0000"' in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"


def test_an_expired_link_is_a_410(scheduled, nurse, settings):
    settings.HANDREGEN_LINK_DAYS = 0
    episode = scheduled(days_ago=14)
    episode.site.phone = "01632 960000"
    episode.site.save()
    url = questionnaire_link_create(actor=nurse, follow_up=follow_up(episode, "w2"))
    response = Client().get("/q/" + url.rsplit("/q/", 1)[1])
    text = response.content.decode()
    assert response.status_code == 410 and "expired" in text and f"tel:{episode.site.phone}" in text


def test_the_page_without_a_session_says_to_open_the_link(db):
    response = Client().get("/q/")
    assert response.status_code == 404 and "open the link in your e-mail" in response.content.decode()


def test_submitting_stores_scored_patient_responses_and_the_link_is_then_spent(link):
    episode, w2, token = link
    client = landed(token)
    assert answer(client, 1, {"pain": "3"})["Location"] == "/q/p/2/"
    assert answer(client, 2, {"pgic": "2"})["Location"] == "/q/review/"
    review = client.get("/q/review/").content.decode()
    assert "3" in review and "Much improved" in review and "Send my answers" in review
    assert not QuestionnaireResponse.objects.exists()  # saved on the link, not sent before the review
    response = send(client)
    assert response["Location"] == "/q/done/"
    assert "Thank you" in client.get("/q/done/").content.decode()
    stored = {r.instrument: r for r in QuestionnaireResponse.objects.filter(follow_up=w2)}
    assert (stored["nrs"].total, stored["nrs"].source, stored["nrs"].entered_by) == (3, "patient", None)
    assert stored["pgic"].subscales == {"improved": 1.0}
    w2.refresh_from_db()
    assert w2.completion == "auto"
    assert send(client)["Location"] == "/q/done/"  # a second tap on Send: the same thanks, nothing more stored
    assert QuestionnaireResponse.objects.count() == 2
    assert answer(client, 1, {"pain": "9"})["Location"] == "/q/done/"
    assert Client().get(f"/q/{token}").status_code == 410
    assert QuestionnaireResponse.objects.get(instrument="nrs").total == 3
    assert AuditEvent.objects.filter(action="questionnaire_link.submit", episode_id=episode.pk).count() == 1


def test_an_unanswered_or_out_of_range_item_keeps_the_page_with_a_summary_and_the_answers_given(scheduled, nurse):
    episode = scheduled(days_ago=42)
    url = questionnaire_link_create(actor=nurse, follow_up=follow_up(episode, "w6"))
    client = landed(url.rsplit("/q/", 1)[1])
    assert answer(client, 1, {"pain": "11"}).status_code == 422
    assert answer(client, 1, {"pain": "4"}).status_code == 302
    response = answer(client, 2, {"q1": "2", "q3": "5"})  # QuickDASH page 1 of 2, four items left out
    text = response.content.decode()
    assert response.status_code == 422
    assert 'class="error-summary" role="alert" tabindex="-1" autofocus' in text
    assert text.count('<li><a href="#id_') == 4 and 'href="#id_q2_0"' in text
    assert checked(text, "q1") == "2" and checked(text, "q3") == "5"  # the answers given stay
    assert QuestionnaireLink.objects.get().draft["quickdash"] == {"q1": 2, "q3": 5}
    assert not QuestionnaireResponse.objects.exists()


def test_prefer_not_to_answer_only_where_the_scoring_allows_missing_items(scheduled, nurse):
    episode = scheduled(days_ago=42)
    url = questionnaire_link_create(actor=nurse, follow_up=follow_up(episode, "w6"))
    client = landed(url.rsplit("/q/", 1)[1])
    assert "Prefer not to answer" not in client.get("/q/p/1/").content.decode()  # pain NRS: one item
    assert "Prefer not to answer" in client.get("/q/p/2/").content.decode()  # QuickDASH: one may be missing
    answer(client, 1, {"pain": "4"})
    answer(client, 2, {f"q{n}": "declined" if n == 1 else "2" for n in range(1, 7)})
    answer(client, 3, {f"q{n}": "3" for n in range(7, 12)})
    answer(client, 4, {"pgic": "3"})
    assert send(client)["Location"] == "/q/done/"
    quickdash = QuestionnaireResponse.objects.get(instrument="quickdash")
    assert "q1" not in quickdash.answers and quickdash.scorable
    # the pure rule on the same answers: mean of the 10 answered items
    assert quickdash.total == pytest.approx(((2 * 5 + 3 * 5) / 10 - 1) * 25)


def test_leaving_and_coming_back_resumes_at_the_first_unanswered_page(scheduled, nurse):
    episode = scheduled(days_ago=42)
    url = questionnaire_link_create(actor=nurse, follow_up=follow_up(episode, "w6"))
    token = url.rsplit("/q/", 1)[1]
    first = landed(token)
    answer(first, 1, {"pain": "6"})
    answer(first, 2, {f"q{n}": "1" for n in range(1, 7)})
    later = landed(token)  # another day, a new browser session
    assert later.get("/q/")["Location"] == "/q/p/3/"
    assert checked(later.get("/q/p/1/").content.decode(), "pain") == "6"


def test_a_new_link_revokes_the_live_one_and_takes_over_its_saved_answers(link, nurse):
    _, w2, token = link
    client = landed(token)
    answer(client, 1, {"pain": "5"})
    newer = questionnaire_link_create(actor=nurse, follow_up=w2).rsplit("/q/", 1)[1]
    gone = Client().get(f"/q/{token}")
    assert gone.status_code == 410 and "newer" in gone.content.decode()
    assert QuestionnaireLink.objects.filter(follow_up=w2, closed_at__isnull=True).count() == 1
    assert landed(newer).get("/q/")["Location"] == "/q/p/2/"  # the pain answer came along
    assert AuditEvent.objects.filter(action="questionnaire_link.revoke").count() == 1


def test_swapping_the_follow_up_or_patient_in_the_post_body_does_not_change_what_is_answered(link, scheduled):
    _, w2, token = link
    other = scheduled(days_ago=14)
    other_w2 = follow_up(other, "w2")
    client = landed(token)
    answer(
        client,
        1,
        {
            "pain": "5",
            "follow_up": str(other_w2.pk),
            "follow_up_id": str(other_w2.pk),
            "patient_id": str(other.patient_id),
            "link": "x",
            "p1": "3",
            "instrument": "prwe",
        },
    )
    answer(client, 2, {"pgic": "4"})
    send(client)
    assert sorted((str(r.follow_up_id), r.instrument) for r in QuestionnaireResponse.objects.all()) == [
        (str(w2.pk), "nrs"),
        (str(w2.pk), "pgic"),
    ]
    assert not QuestionnaireResponse.objects.filter(follow_up=other_w2).exists()


def test_a_second_browser_with_the_same_link_finds_it_spent_after_the_first_submits(link):
    _, _, token = link
    first, second = landed(token), landed(token)
    answer(first, 1, {"pain": "2"})
    answer(first, 2, {"pgic": "2"})
    assert send(first)["Location"] == "/q/done/"
    assert send(second).status_code == 410
    assert QuestionnaireResponse.objects.count() == 2


def test_a_staff_entry_closes_the_patients_link(link, nurse):
    from handregen.outcomes.services import response_record

    _, w2, token = link
    response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 2})
    response_record(actor=nurse, follow_up=w2, instrument="pgic", answers={"pgic": 4})
    gone = Client().get(f"/q/{token}")
    assert gone.status_code == 410 and "already been answered" in gone.content.decode()


def test_a_post_without_the_pages_form_token_is_refused_and_stores_nothing(link):
    _, _, token = link
    client = landed(token)
    assert client.post("/q/p/1/", {"pain": "3"}).status_code == 403
    assert client.post("/q/p/1/", {"pain": "3", "form_token": "forged"}).status_code == 403
    assert client.post("/q/review/", {"form_token": "forged"}).status_code == 403
    assert QuestionnaireLink.objects.get().draft == {}
    assert answer(client, 1, {"pain": "3"}).status_code == 302
