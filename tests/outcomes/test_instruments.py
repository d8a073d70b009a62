"""Instruments as data: ids and ranges per DESIGN.md §9, licence rules per clinical-facts §1.10."""

import dataclasses
import json

import pytest

from handregen.outcomes.instruments import (
    all_instruments,
    instrument_codes,
    instrument_from_dict,
    load_instrument,
    load_wording,
)
from handregen.outcomes.scoring import RULES


def numbered(prefix, count):
    return [f"{prefix}{n}" for n in range(1, count + 1)]


MHQ_IDS = (
    numbered("ia", 5) + numbered("ib", 5) + numbered("iia", 5) + numbered("iib", 5) + numbered("iic", 7)
    + numbered("iii", 5) + numbered("iva", 5) + numbered("ivb", 5) + numbered("va", 4) + numbered("vb", 4)
    + numbered("via", 6) + numbered("vib", 6)
)  # fmt: skip

EXPECTED = {
    # code: (item ids, response min, max, whole numbers, higher_is_worse)
    "nrs": (["pain"], 0, 10, True, True),
    "quickdash": (numbered("q", 11), 1, 5, True, True),
    "quickdash_work": (numbered("w", 4), 1, 5, True, True),
    "quickdash_sport": (numbered("s", 4), 1, 5, True, True),
    "prwe": (numbered("p", 5) + numbered("f", 10), 0, 10, True, True),
    "mhq": (MHQ_IDS, 1, 5, True, False),
    "fihoa": (numbered("i", 10), 0, 3, True, True),
    "pgic": (["pgic"], 1, 7, True, True),
    "grip": (numbered("trial", 3), 0, 100, False, False),
    "pinch": (numbered("trial", 3), 0, 30, False, False),
}
LICENSED = ("quickdash", "quickdash_work", "quickdash_sport", "prwe", "mhq", "fihoa")


def minimal_instrument(**changes):
    data = {
        "code": "demo",
        "name": "Demo",
        "version": 1,
        "scoring_rule": "single_item",
        "higher_is_worse": True,
        "score_range": {"min": 0, "max": 10},
        "response": {"min": 0, "max": 10, "integer": True},
        "licence": {"wording_shipped": True, "note": "ours"},
        "source": "none",
        "items": [{"id": "a", "topic": "a topic"}],
        "subscales": [],
    }
    data.update(changes)
    return data


def test_the_shipped_instruments_are_exactly_the_ten_of_the_design():
    assert set(instrument_codes()) == set(EXPECTED)
    assert [instrument.code for instrument in all_instruments()] == sorted(EXPECTED)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_item_ids_and_response_range_match_the_design(code):
    ids, low, high, whole, higher_is_worse = EXPECTED[code]
    instrument = load_instrument(code)
    assert list(instrument.item_ids) == ids
    assert (instrument.response.min, instrument.response.max, instrument.response.integer) == (low, high, whole)
    assert instrument.higher_is_worse is higher_is_worse


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_instrument_names_a_scoring_rule_that_exists(code):
    assert load_instrument(code).scoring_rule in RULES


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_scoring_version_is_code_dash_version(code):
    instrument = load_instrument(code)
    assert instrument.scoring_version == f"{code}-{instrument.version}"


def test_mhq_has_62_items_in_the_six_domains_of_the_design():
    mhq = load_instrument("mhq")
    assert len(mhq.items) == 62
    codes = {subscale.code for subscale in mhq.subscales}
    assert {"function", "adl", "work", "pain", "aesthetics", "satisfaction"} <= codes
    assert [s.higher_is_worse for s in mhq.subscales if s.code == "pain"] == [True]


def test_mhq_reversed_items_are_pain_item_2_and_aesthetics_item_1_of_each_hand():
    reversed_ids = {item.id for item in load_instrument("mhq").items if item.reversed}
    assert reversed_ids == {"iva2", "ivb2", "va1", "vb1"}


def test_mhq_items_carry_the_hand_a_right_b_left_and_none_when_asked_once():
    mhq = load_instrument("mhq")
    assert mhq.item("ia1").hand == "right"
    assert mhq.item("vib6").hand == "left"
    assert mhq.item("iic3").hand is None
    assert mhq.item("iii5").hand is None


@pytest.mark.parametrize("code", LICENSED)
def test_licensed_instruments_ship_no_wording(code):
    instrument = load_instrument(code)
    assert instrument.licence.wording_shipped is False
    assert instrument.question is None
    assert instrument.options == ()
    assert instrument.licence.note


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_topic_labels_are_short_labels_not_questions(code):
    for item in load_instrument(code).items:
        assert 0 < len(item.topic) <= 60, item.id
        assert "?" not in item.topic, item.id


def test_nrs_ships_its_question_and_a_label_for_every_value_0_to_10():
    nrs = load_instrument("nrs")
    assert nrs.licence.wording_shipped is True
    assert nrs.question and "0" in nrs.question and "10" in nrs.question
    assert [option.value for option in nrs.options] == list(range(11))
    assert "no pain" in nrs.options[0].label


def test_pgic_ships_seven_labels_from_very_much_improved_to_very_much_worse():
    pgic = load_instrument("pgic")
    assert pgic.licence.wording_shipped is True
    assert pgic.question
    assert [option.value for option in pgic.options] == list(range(1, 8))
    assert pgic.options[0].label == "Very much improved"
    assert pgic.options[3].label == "No change"
    assert pgic.options[6].label == "Very much worse"
    assert pgic.label_set


def test_unknown_instrument_is_a_value_error_listing_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown instrument 'dash'.*fihoa, grip, mhq"):
        load_instrument("dash")


def test_a_path_is_not_accepted_as_an_instrument_code():
    with pytest.raises(ValueError, match="unknown instrument"):
        load_instrument("../instruments/nrs")


def test_loaded_instruments_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_instrument("nrs").version = 2  # type: ignore[misc]


def test_instrument_with_duplicate_item_ids_is_rejected():
    items = [{"id": "a", "topic": "x"}, {"id": "a", "topic": "y"}]
    with pytest.raises(ValueError, match="duplicates: \\['a'\\]"):
        instrument_from_dict(minimal_instrument(items=items))


def test_subscale_naming_an_unknown_item_is_rejected():
    subscale = {"code": "s", "name": "S", "items": ["a", "zz"], "higher_is_worse": True,
                "score_range": {"min": 0, "max": 1}}  # fmt: skip
    with pytest.raises(ValueError, match="unknown items \\['zz'\\]"):
        instrument_from_dict(minimal_instrument(subscales=[subscale]))


def test_instrument_with_a_field_of_the_wrong_type_is_rejected():
    with pytest.raises(ValueError, match="'version' must be a whole number"):
        instrument_from_dict(minimal_instrument(version="1"))


def write_wording(tmp_path, data):
    path = tmp_path / "wording.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_load_wording_maps_every_item_id_to_its_licensed_text(tmp_path):
    texts = {item_id: f"licensed text {item_id}" for item_id in numbered("w", 4)}
    path = write_wording(tmp_path, {"instrument": "quickdash_work", "items": texts})
    assert load_wording(path) == texts
    assert load_wording(str(path), instrument="quickdash_work") == texts


def test_load_wording_names_unknown_item_ids(tmp_path):
    texts = {item_id: "text" for item_id in numbered("w", 4)} | {"w5": "text", "x": "text"}
    path = write_wording(tmp_path, {"instrument": "quickdash_work", "items": texts})
    with pytest.raises(ValueError, match="unknown item ids for quickdash_work: w5, x"):
        load_wording(path)


def test_load_wording_names_items_without_text(tmp_path):
    path = write_wording(tmp_path, {"instrument": "quickdash_work", "items": {"w1": "t", "w2": "t"}})
    with pytest.raises(ValueError, match="no text for quickdash_work items: w3, w4"):
        load_wording(path)


def test_load_wording_rejects_blank_text(tmp_path):
    texts = {"w1": "t", "w2": "  ", "w3": "t", "w4": 4}
    path = write_wording(tmp_path, {"instrument": "quickdash_work", "items": texts})
    with pytest.raises(ValueError, match="empty or non-text wording for items: w2, w4"):
        load_wording(path)


def test_load_wording_rejects_a_file_for_another_instrument(tmp_path):
    texts = {item_id: "text" for item_id in numbered("w", 4)}
    path = write_wording(tmp_path, {"instrument": "quickdash_work", "items": texts})
    with pytest.raises(ValueError, match="is for 'quickdash_work', not 'quickdash_sport'"):
        load_wording(path, instrument="quickdash_sport")


def test_load_wording_rejects_an_unknown_instrument(tmp_path):
    path = write_wording(tmp_path, {"instrument": "dash", "items": {"q1": "text"}})
    with pytest.raises(ValueError, match="unknown instrument 'dash'"):
        load_wording(path)


def test_load_wording_rejects_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "wording.json"
    path.write_text("q1: text", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot be read as JSON"):
        load_wording(path)
