"""Every answer a patient can give has a meaning in plain words, in the published number and direction.

The direction is judged twice, independently: once from the words of the end labels (a small lexicon of
what a good and a bad answer says, written here), once from the pure scoring rule (which end of the item's
range gives the better score). The two must agree for every item of every instrument (clinical-facts §1.11).
"""

from __future__ import annotations

import json

import pytest

from handregen.outcomes.instruments import Instrument, Item, all_instruments, load_instrument
from handregen.outcomes.scoring import score
from handregen.outcomes.wording import answer_options, licensed_scales

# The published number of answers per item (clinical-facts §1.1-1.8).
PUBLISHED_OPTIONS = {
    "nrs": 11,
    "quickdash": 5,
    "quickdash_work": 5,
    "quickdash_sport": 5,
    "prwe": 11,
    "mhq": 5,
    "fihoa": 4,
    "pgic": 7,
}
MEASURED = {"grip", "pinch"}  # numbers measured by staff, no answer labels

GOOD_WORDS = (
    "no pain",
    "not hard",
    "not at all",
    "not limited",
    "none",
    "no trouble",
    "never",
    "very good",
    "very happy",
    "very mild",
    "very much improved",
)
BAD_WORDS = (
    "worst",
    "could not",
    "cannot",
    "very much worse",
    "very bad",
    "very poor",
    "very unhappy",
    "always",
    "very hard",
    "very much",
    "very limited",
)
# Agree/disagree answers take their direction from the statement: the MHQ's first appearance item is the
# positively worded one (clinical-facts §1.4), the others are worded as problems.
POSITIVE_STATEMENTS = {"va1", "vb1"}


def words_say(label: str, item: Item) -> str:
    """'good' or 'bad': what an end label says, judged from its words alone."""
    text = label.lower().split(" - ", 1)[-1].strip()
    if text in ("strongly agree", "strongly disagree"):
        agrees = text == "strongly agree"
        return "good" if agrees == (item.id in POSITIVE_STATEMENTS) else "bad"
    if any(word in text for word in BAD_WORDS) and "improved" not in text:
        return "bad"
    if any(word in text for word in GOOD_WORDS):
        return "good"
    raise AssertionError(f"no plain-words meaning found in the end label {label!r} of {item.id}")


def scoring_says_low_end(instrument: Instrument, item: Item) -> str:
    """'good' or 'bad': what the lowest answer of `item` means to the scoring rule, everything else middling."""
    low, high = int(instrument.response.min), int(instrument.response.max)
    middle = (low + high) // 2
    options = {"hand": item.hand or "right"} if instrument.code == "mhq" else {}
    scores = []
    for value in (low, high):
        answers = {other.id: middle for other in instrument.items} | {item.id: value}
        result = score(instrument.code, answers, **options)
        assert result.total is not None, result.reasons
        scores.append(result.total)
    assert scores[0] != scores[1], f"{instrument.code}.{item.id} does not move the score"
    low_is_lower_score = scores[0] < scores[1]
    return "good" if low_is_lower_score == instrument.higher_is_worse else "bad"


ANSWERED = [(i, item) for i in all_instruments() if i.code not in MEASURED for item in i.items]


@pytest.mark.parametrize(("instrument", "item"), ANSWERED, ids=[f"{i.code}.{item.id}" for i, item in ANSWERED])
def test_each_answer_has_a_label_and_the_ends_point_the_way_the_score_does(instrument, item):
    options = instrument.options_for(item)
    assert len(options) == PUBLISHED_OPTIONS[instrument.code]
    values = [option.value for option in options]
    assert values == list(range(int(instrument.response.min), int(instrument.response.max) + 1))
    assert all(option.label.strip() for option in options)
    low_end, high_end = words_say(options[0].label, item), words_say(options[-1].label, item)
    assert {low_end, high_end} == {"good", "bad"}, f"{item.id}: both ends say {low_end}"
    assert low_end == scoring_says_low_end(instrument, item)
    if len(options) <= 7:  # short scales: every answer in words, not a bare number
        assert not any(option.label.strip().isdigit() for option in options)
    assert instrument.prompt_for(item), f"{item.id}: no question for its answers to reply to"


def test_the_lexicon_catches_a_reversed_scale():
    """Turning a scale round must fail the direction check (the test can fail for the defect it guards)."""
    quickdash = load_instrument("quickdash")
    item = quickdash.item("q1")
    reversed_labels = list(reversed(quickdash.options_for(item)))
    assert words_say(reversed_labels[0].label, item) != scoring_says_low_end(quickdash, item)


def test_the_patient_sees_every_item_with_a_plain_heading_and_the_clinical_name_apart():
    for instrument in all_instruments():
        assert instrument.title and instrument.title != instrument.name


def test_a_clinics_licensed_answer_labels_replace_ours_only_when_they_fit(tmp_path, settings):
    settings.HANDREGEN_WORDING_DIR = str(tmp_path)
    quickdash = load_instrument("quickdash")
    wording = {
        "instrument": "quickdash",
        "items": {item.id: f"Licensed {item.id}" for item in quickdash.items},
        "scales": {"difficulty": ["L1", "L2", "L3", "L4", "L5"], "sleep": ["too", "few"]},
    }
    (tmp_path / "quickdash.json").write_text(json.dumps(wording), encoding="utf-8")
    licensed = licensed_scales(quickdash)
    assert list(licensed) == ["difficulty"]  # the sleep labels are the wrong number: ours stay
    shown = answer_options(quickdash, quickdash.item("q1"), licensed)
    assert [(o.value, o.label) for o in shown] == [(1, "L1"), (2, "L2"), (3, "L3"), (4, "L4"), (5, "L5")]
    sleep = answer_options(quickdash, quickdash.item("q11"), licensed)
    assert sleep[0].label == "No trouble"
