"""No pre-filled clinical judgement: every choice that records a clinical fact starts empty and must be chosen."""

from __future__ import annotations

import re

import pytest


def _selected(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select is not None, name
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(0))


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/patients/new/", ["sex", "dominant_hand"]),
    ],
)
def test_registration_pre_selects_neither_sex_nor_dominant_hand(signed_in, url, fields):
    page = signed_in().get(url).content.decode()
    for name in fields:
        assert _selected(page, name) in ([], [""]), name


def test_opening_an_episode_pre_selects_no_side(signed_in, make_patient):
    page = signed_in().get(f"/patients/{make_patient().pk}/").content.decode()
    assert _selected(page, "side") in ([], [""])
    assert _selected(page, "indication") in ([], [""])


def test_the_adverse_event_form_pre_selects_no_term_seriousness_relatedness_or_outcome(signed_in, make_episode):
    page = signed_in().get(f"/episodes/{make_episode().pk}/adverse-events/new/").content.decode()
    for name in ("term", "relatedness", "action_taken", "outcome"):
        assert _selected(page, name) in ([], [""]), name
    assert not re.search(r'name="(serious|grade)"[^>]*checked', page)


def test_a_registration_without_a_chosen_sex_is_refused_and_keeps_what_was_typed(signed_in):
    response = signed_in().post(
        "/patients/new/",
        {
            "mrn": "NP-1",
            "given_name": "Amy",
            "family_name": "Pond",
            "birth_date": "1960-01-01",
            "dominant_hand": "left",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200 and 'value="Pond"' in text and _selected(text, "dominant_hand") == ["left"]
