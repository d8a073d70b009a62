"""The patient's page (reached from a questionnaire link) tells them their progress in plain words."""

from datetime import timedelta

from django.test import Client

from handregen.outcomes.links import questionnaire_link_create
from handregen.outcomes.services import baseline_response_record, followups_schedule, response_record
from tests.outcomes.conftest import follow_up
from tests.outcomes.test_portal import answer, landed, send


def treated(make_episode, nurse, *, baseline_pain: int, days_ago: int = 91):
    """An episode with a baseline pain score, injected `days_ago` days ago, its follow-ups scheduled."""
    episode = make_episode(actor=nurse)
    baseline_response_record(actor=nurse, episode=episode, instrument="nrs", answers={"pain": baseline_pain})
    followups_schedule(actor=nurse, episode=episode, injected_on=episode.site.today() - timedelta(days_ago))
    return episode


def open_link(nurse, fu) -> Client:
    url = questionnaire_link_create(actor=nurse, follow_up=fu)
    return landed(url.rsplit("/q/", 1)[1])


def test_the_patient_page_gives_before_and_latest_pain_with_the_mcid_verdict_and_the_caveat(make_episode, nurse):
    episode = treated(make_episode, nurse, baseline_pain=7)
    m3 = follow_up(episode, "m3")
    response_record(actor=nurse, follow_up=m3, instrument="nrs", answers={"pain": 4})
    text = open_link(nurse, m3).get("/q/review/").content.decode()
    assert "Your progress" in text
    assert "Your average hand pain was 7 out of 10 before treatment and 4 out of 10 at 3 months." in text
    assert "This change of 3 points for the better is at least the 2 points" in text
    assert "Changes like this can have many causes; your doctor will talk them through with you." in text


def test_without_a_score_after_treatment_the_page_says_when_the_first_check_up_is_due(scheduled, nurse):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    client = open_link(nurse, w2)
    assert "Your progress" not in client.get("/q/p/1/").content.decode()  # not beside the questions
    text = client.get("/q/review/").content.decode()
    assert f"Your first check-up is due on {w2.due_on.day} {w2.due_on:%B %Y}." in text
    assert "before treatment and" not in text and "many causes" not in text


def test_after_sending_answers_the_thank_you_page_shows_the_new_figure(make_episode, nurse):
    episode = treated(make_episode, nurse, baseline_pain=6, days_ago=14)
    client = open_link(nurse, follow_up(episode, "w2"))
    answer(client, 1, {"pain": "5"})
    answer(client, 2, {"pgic": "3"})
    assert send(client)["Location"] == "/q/done/"
    thanks = client.get("/q/done/")
    text = thanks.content.decode()
    assert thanks.status_code == 200 and "Thank you" in text
    assert "6 out of 10 before treatment and 5 out of 10 at 2 weeks" in text
    assert "smaller than the 2 points" in text


def test_grip_of_the_other_hand_is_not_the_patients_progress(make_episode, nurse):
    episode = treated(make_episode, nurse, baseline_pain=7)
    other = "left" if episode.side == "right" else "right"
    baseline_response_record(
        actor=nurse, episode=episode, instrument="grip", side=other, answers={"trial1": 20, "trial2": 20, "trial3": 20}
    )
    m3 = follow_up(episode, "m3")
    response_record(
        actor=nurse, follow_up=m3, instrument="grip", side=other, answers={"trial1": 30, "trial2": 30, "trial3": 30}
    )
    response_record(actor=nurse, follow_up=m3, instrument="nrs", answers={"pain": 7})
    text = open_link(nurse, m3).get("/q/review/").content.decode()
    assert "grip strength" not in text
