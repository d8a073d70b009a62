"""R3 for scores and adverse events: two tabs correcting the same record; the stale one is refused with both values,
keeps what was typed, and may then be saved on purpose."""

from __future__ import annotations

import re
from datetime import date

from handregen.outcomes.models import QuestionnaireResponse
from handregen.outcomes.services import response_record
from handregen.safety.services import adverse_event_amend, adverse_event_record
from handregen.versions import StaleVersion
from tests.outcomes.conftest import follow_up
from tests.state import database_state


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page) or re.search(rf'value="([^"]*)" name="{name}"', page)
    assert found, f"no hidden {name}"
    return found.group(1)


def _tab(client, url: str) -> dict[str, str]:
    page = client.get(url).content.decode()
    return {"expected_version": _hidden(page, "expected_version"), "_form_token": _hidden(page, "_form_token")}


def test_two_tabs_correcting_one_score_the_stale_one_gets_a_conflict_and_keeps_what_was_typed(
    scheduled, nurse, signed_in
):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 4})
    url = f"/follow-ups/{w2.pk}/enter/nrs/"
    first, second = signed_in("nurse"), signed_in("coordinator")
    tab_a, tab_b = _tab(first, url), _tab(second, url)
    assert tab_a["expected_version"] == tab_b["expected_version"] == "1"

    saved = first.post(url, tab_a | {"pain": "5", "amendment_reason": "patient corrected it"})
    assert saved.status_code == 302
    before = database_state()
    stale = second.post(url, tab_b | {"pain": "6", "amendment_reason": "read from the paper form"})
    text = re.sub(r"\s+", " ", stale.content.decode())
    assert stale.status_code == 200 and "Version rule &#x27;no lost updates&#x27;" in text
    assert "<td>pain</td><td>5</td><td>6 <strong>(differs)</strong></td>" in text  # both values
    assert "read from the paper form" in text and re.search(r'name="pain"[^>]*value="6"|value="6"[^>]*checked', text)
    assert _hidden(text, "expected_version") == "2"  # saving again is a choice made over version 2
    assert database_state() == before
    assert QuestionnaireResponse.objects.get(follow_up=w2).total == 5

    again = second.post(
        url,
        {
            "_form_token": _hidden(text, "_form_token"),
            "expected_version": "2",
            "pain": "6",
            "amendment_reason": "read from the paper form",
        },
    )
    assert again.status_code == 302 and QuestionnaireResponse.objects.get(follow_up=w2).total == 6


def test_a_stale_score_correction_through_the_api_is_a_409_with_the_saved_values(scheduled, nurse, api):
    episode = scheduled(days_ago=14)
    stored = response_record(actor=nurse, follow_up=follow_up(episode, "w2"), instrument="nrs", answers={"pain": 4})
    client = api("nurse")
    ok = client.post(f"/api/v1/responses/{stored.pk}/amend", {"answers": {"pain": 5}, "reason": "typo", "version": 1})
    assert ok.status_code == 200, ok.content
    stale = client.post(f"/api/v1/responses/{stored.pk}/amend", {"answers": {"pain": 7}, "reason": "x", "version": 1})
    body = stale.json()
    assert stale.status_code == 409 and body["current_version"] == 2 and body["current"]["pain"] == "5"
    assert QuestionnaireResponse.objects.get(pk=stored.pk).total == 5


def test_a_stale_adverse_event_amendment_is_refused_with_the_saved_values(make_episode, nurse):
    episode = make_episode(actor=nurse)
    event = adverse_event_record(
        actor=nurse,
        episode=episode,
        term="infection",
        onset_date=date.today(),
        grade=1,
        serious=False,
        relatedness="possible",
    )
    adverse_event_amend(actor=nurse, adverse_event=event, changes={"grade": 2}, reason="worse", expected_version=1)
    try:
        adverse_event_amend(actor=nurse, adverse_event=event, changes={"grade": 3}, reason="x", expected_version=1)
    except StaleVersion as stale:
        assert stale.current["grade"] == "2" and stale.current_version == 2
    else:
        raise AssertionError("a stale amendment was saved")
