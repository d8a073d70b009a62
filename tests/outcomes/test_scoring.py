"""Scoring: every worked example of clinical-facts §7, the missing-item rules, and property tests."""

import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handregen.outcomes.instruments import all_instruments, load_instrument
from handregen.outcomes.scoring import score, validate_answers

TOLERANCE = 0.005  # clinical-facts §7: compare with a tolerance of 0.005


def ids(prefix, count):
    return [f"{prefix}{n}" for n in range(1, count + 1)]


def quickdash(*values):
    return {f"q{n}": value for n, value in enumerate(values, start=1)}


def prwe(pain, function):
    return dict(zip(ids("p", 5), pain, strict=True)) | dict(zip(ids("f", 10), function, strict=True))


# Respondent 1 of the-mad-statter/mhq data-raw/mhq.csv (clinical-facts §7.3), in form order ia1 ... vib6.
MHQ_ROW = [
    2, 1, 1, 3, 3, 2, 1, 1, 3, 2,  # function: ia1-5, ib1-5
    1, 2, 1, 1, 2, 1, 2, 1, 1, 2,  # ADL one hand: iia1-5, iib1-5
    3, 2, 1, 1, 1, 1, 2,  # ADL two hands: iic1-7
    4, 3, 3, 3, 3,  # work: iii1-5
    2, 3, 4, 4, 3, 2, 3, 4, 4, 3,  # pain: iva1-5, ivb1-5
    2, 5, 5, 5, 2, 5, 5, 5,  # aesthetics: va1-4, vb1-4
    4, 2, 1, 3, 3, 3, 2, 1, 1, 2, 3, 3,  # satisfaction: via1-6, vib1-6
]  # fmt: skip
MHQ_RESPONDENT_1 = dict(zip(load_instrument("mhq").item_ids, MHQ_ROW, strict=True))
MHQ_EXPECTED = {
    "right": {"function": 75.00, "adl_one_hand": 90.00, "adl_two_hand": 85.71, "adl": 87.86, "work": 55.00,
              "pain": 45.00, "aesthetics": 93.75, "satisfaction": 58.33, "total": 70.82},
    "left": {"function": 80.00, "adl_one_hand": 90.00, "adl_two_hand": 85.71, "adl": 87.86, "work": 55.00,
             "pain": 45.00, "aesthetics": 93.75, "satisfaction": 75.00, "total": 74.43},
}  # fmt: skip


def mhq_with(**changes):
    return MHQ_RESPONDENT_1 | changes


# --- QuickDASH and its modules (§7.1) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [([1] * 11, 0.0), ([5] * 11, 100.0), ([3] * 11, 50.0), ([1, 2, 3, 4, 1, 1, 2, 3, 5, 1, 1], 29.5454)],
    ids=["best", "worst", "middle", "mixed-awell-fixture"],
)
def test_quickdash_worked_examples(items, expected):
    result = score("quickdash", quickdash(*items))
    assert result.total == pytest.approx(expected, abs=TOLERANCE)
    assert result.scorable and result.reasons == []
    assert result.scoring_version == "quickdash-1"


def test_quickdash_with_one_item_missing_is_scored_from_the_other_ten():
    answers = quickdash(1, 2, 3, 4, 1, 1, 2, 3, 5, 1)  # q11 missing; sum 23 over 10 items
    result = score("quickdash", answers)
    assert result.total == pytest.approx((23 / 10 - 1) * 25)
    assert any("q11" in reason for reason in result.reasons)


def test_quickdash_with_two_items_missing_is_not_scorable():
    result = score("quickdash", quickdash(*[3] * 9))
    assert result.total is None and not result.scorable
    assert any("q10, q11" in reason for reason in result.reasons)


def test_quickdash_out_of_range_value_is_treated_as_missing_not_clipped():
    with_six = score("quickdash", quickdash(*[2] * 10, 6))
    without = score("quickdash", quickdash(*[2] * 10))
    assert with_six.total == without.total == pytest.approx(25.0)
    assert "q11: 6 is outside the range whole numbers 1 to 5; treated as missing" in with_six.reasons


def test_quickdash_two_out_of_range_values_make_it_unscorable():
    assert not score("quickdash", quickdash(*[2] * 9, 0, 6)).scorable


@pytest.mark.parametrize(
    "bad", [True, False, float("nan"), float("inf"), "3", 2.5, None, [3]], ids=repr
)  # fmt: skip
def test_non_numbers_bools_nan_and_fractions_are_missing_with_a_reason_naming_the_item(bad):
    result = score("quickdash", quickdash(*[2] * 9, bad, bad))
    assert not result.scorable
    if bad is not None:  # None simply means "not answered"
        assert sum(reason.startswith("q10: ") for reason in result.reasons) == 1
        assert sum(reason.startswith("q11: ") for reason in result.reasons) == 1


def test_a_whole_number_given_as_float_is_accepted():
    assert score("quickdash", quickdash(*[3.0] * 11)).total == pytest.approx(50.0)


def test_unknown_item_ids_are_ignored_with_a_reason():
    result = score("quickdash", quickdash(*[3] * 11) | {"q12": 5, "pain": 1})
    assert result.total == pytest.approx(50.0)
    assert "'q12' is not an item of quickdash; ignored" in result.reasons
    assert "'pain' is not an item of quickdash; ignored" in result.reasons


@pytest.mark.parametrize(("code", "prefix"), [("quickdash_work", "w"), ("quickdash_sport", "s")])
def test_quickdash_module_1_2_3_4_scores_37_5(code, prefix):
    result = score(code, dict(zip(ids(prefix, 4), [1, 2, 3, 4], strict=True)))
    assert result.total == pytest.approx(37.5, abs=TOLERANCE)


@pytest.mark.parametrize(("code", "prefix"), [("quickdash_work", "w"), ("quickdash_sport", "s")])
def test_quickdash_module_needs_all_four_items(code, prefix):
    result = score(code, dict(zip(ids(prefix, 3), [1, 2, 3], strict=True)))
    assert not result.scorable
    assert result.missing_policy == "none"


# --- PRWE (§7.2) --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("item", "pain", "function", "total"), [(0, 0, 0, 0), (10, 50, 50, 100)])
def test_prwe_worked_examples_none_and_max(item, pain, function, total):
    result = score("prwe", prwe([item] * 5, [item] * 10))
    assert result.subscales == {"pain": pain, "function": function}
    assert result.total == total


def test_prwe_function_is_the_sum_halved_and_pain_is_not():
    result = score("prwe", prwe([1, 2, 3, 4, 5], [4] * 10))
    assert result.subscales == {"pain": 15, "function": 20}
    assert result.total == 35


def test_prwe_default_policy_makes_one_missing_item_unscorable_and_records_none():
    answers = prwe([2] * 5, [4] * 10)
    del answers["p3"]
    result = score("prwe", answers)
    assert not result.scorable
    assert result.missing_policy == "none"
    assert result.subscales == {"pain": None, "function": 20}


def test_prwe_subscale_mean_policy_imputes_one_missing_pain_item_with_the_pain_mean():
    answers = prwe([2, 4, 0, 6, 8], [4] * 10)
    del answers["p3"]  # mean of the answered pain items = 5
    result = score("prwe", answers, missing_policy="subscale_mean_v1")
    assert result.subscales == {"pain": 25, "function": 20}
    assert result.total == 45
    assert result.missing_policy == "subscale_mean_v1"


def test_prwe_subscale_mean_policy_imputes_two_missing_function_items_with_the_function_mean():
    answers = prwe([0] * 5, [1, 3, 0, 0, 2, 2, 2, 2, 2, 2])
    del answers["f3"], answers["f4"]  # answered function mean = 2, so the function sum is 20
    assert score("prwe", answers, missing_policy="subscale_mean_v1").subscales["function"] == 10


@pytest.mark.parametrize("removed", [["p1", "p2"], ["f1", "f2", "f3"]], ids=["2-pain", "3-function"])
def test_prwe_subscale_mean_policy_refuses_more_missing_than_it_allows(removed):
    answers = {k: v for k, v in prwe([5] * 5, [5] * 10).items() if k not in removed}
    assert not score("prwe", answers, missing_policy="subscale_mean_v1").scorable


def test_prwe_unknown_missing_policy_is_a_value_error():
    with pytest.raises(ValueError, match="missing_policy 'mean'"):
        score("prwe", prwe([0] * 5, [0] * 10), missing_policy="mean")


# --- MHQ (§7.3) ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hand", ["right", "left"])
def test_mhq_respondent_1_every_domain_and_total(hand):
    result = score("mhq", MHQ_RESPONDENT_1, hand=hand)
    expected = MHQ_EXPECTED[hand]
    assert result.total == pytest.approx(expected["total"], abs=TOLERANCE)
    for domain, value in expected.items():
        if domain != "total":
            assert result.subscales[domain] == pytest.approx(value, abs=TOLERANCE), domain
    assert result.reasons == []


def test_mhq_both_hands_averages_the_right_and_left_scores():
    result = score("mhq", MHQ_RESPONDENT_1, hand="both")
    right, left = MHQ_EXPECTED["right"], MHQ_EXPECTED["left"]
    assert result.total == pytest.approx((right["total"] + left["total"]) / 2, abs=TOLERANCE)
    assert result.subscales["satisfaction"] == pytest.approx((58.33 + 75.00) / 2, abs=TOLERANCE)
    assert result.subscales["function"] == pytest.approx(77.5)


def test_mhq_needs_the_hand_option():
    with pytest.raises(ValueError, match="hand = right, left or both"):
        score("mhq", MHQ_RESPONDENT_1)


def test_mhq_right_hand_score_ignores_left_hand_answers():
    changed = mhq_with(ib1=5, ib2=5, iib1=5, ivb1=1, vb1=5, vib1=5)
    assert score("mhq", changed, hand="right") == score("mhq", MHQ_RESPONDENT_1, hand="right")


def test_mhq_aesthetics_with_3_of_4_answered_imputes_the_missing_item():
    answers = mhq_with(va1=None)  # va2-4 = 5 each, so the imputed va1 is 5 and the domain is 100
    result = score("mhq", answers, hand="right")
    assert result.subscales["aesthetics"] == pytest.approx(100.0)
    assert result.scorable
    assert any(reason.startswith("aesthetics (right hand): va1 imputed") for reason in result.reasons)


def test_mhq_aesthetics_with_2_of_4_answered_is_not_scored_and_neither_is_the_total():
    result = score("mhq", mhq_with(va1=None, va2=None), hand="right")
    assert result.subscales["aesthetics"] is None
    assert result.total is None
    assert "aesthetics (right hand): 2 of 4 items missing (half or more), so it is not scored" in result.reasons


def test_mhq_flips_aesthetics_item_1_before_imputing():
    # va1 = 1 flips to 5, so the answered items are all 5 and va2 is imputed as 5: 100.
    # Imputing first would give va2 = 11/3 and a score of 91.67.
    result = score("mhq", mhq_with(va1=1, va2=None, va3=5, va4=5), hand="right")
    assert result.subscales["aesthetics"] == pytest.approx(100.0)


def test_mhq_flips_pain_item_2_before_imputing():
    # oriented answers 2, 5 (flipped 1), 1, 1 -> mean 2.25 for iva3 -> raw 11.25 -> (25 - 11.25) / 20 = 68.75.
    # Imputing first would give 73.75.
    result = score("mhq", mhq_with(iva1=2, iva2=1, iva3=None, iva4=1, iva5=1), hand="right")
    assert result.subscales["pain"] == pytest.approx(68.75)


def test_mhq_pain_is_zero_when_pain_item_1_says_never():
    result = score("mhq", mhq_with(iva1=5, iva2=3, iva3=3, iva4=3, iva5=3), hand="right")
    assert result.subscales["pain"] == 0.0


def test_mhq_pain_is_zero_when_pain_item_1_says_never_even_if_the_rest_is_blank():
    result = score("mhq", mhq_with(iva1=5, iva2=None, iva3=None, iva4=None, iva5=None), hand="right")
    assert result.subscales["pain"] == 0.0
    assert result.scorable


def test_mhq_total_uses_100_minus_pain():
    result = score("mhq", MHQ_RESPONDENT_1, hand="right")
    domains = [result.subscales[d] for d in ("function", "adl", "work", "aesthetics", "satisfaction")]
    assert result.total == pytest.approx((sum(domains) + 100 - result.subscales["pain"]) / 6)


def test_mhq_adl_is_not_scored_when_half_of_its_two_hand_part_is_missing():
    answers = mhq_with(iic1=None, iic2=None, iic3=None, iic4=None)  # 4 of 7 missing
    result = score("mhq", answers, hand="right")
    assert result.subscales["adl_two_hand"] is None
    assert result.subscales["adl"] is None
    assert result.subscales["adl_one_hand"] == pytest.approx(90.0)


# --- FIHOA (§7.7) and PGIC ----------------------------------------------------------------------------------


def test_fihoa_worked_example_sums_to_13():
    answers = dict(zip(ids("i", 10), [1, 2, 0, 1, 2, 1, 3, 1, 2, 0], strict=True))
    assert score("fihoa", answers).total == 13


def test_fihoa_with_a_missing_item_is_not_scorable_by_default():
    answers = dict(zip(ids("i", 9), [1] * 9, strict=True))
    result = score("fihoa", answers)
    assert not result.scorable
    assert any("i10" in reason for reason in result.reasons)


@pytest.mark.parametrize(("answer", "improved"), [(1, 1.0), (2, 1.0), (3, 0.0), (4, 0.0), (7, 0.0)])
def test_pgic_counts_much_and_very_much_improved_as_improved(answer, improved):
    result = score("pgic", {"pgic": answer})
    assert result.total == answer
    assert result.subscales == {"improved": improved}


def test_pgic_out_of_range_answer_is_missing():
    result = score("pgic", {"pgic": 0})
    assert not result.scorable and result.subscales == {"improved": None}


# --- NRS ----------------------------------------------------------------------------------------------------


def test_nrs_score_is_the_answer():
    assert score("nrs", {"pain": 7}).total == 7


def test_nrs_eleven_is_missing_not_ten():
    result = score("nrs", {"pain": 11})
    assert result.total is None
    assert "pain: 11 is outside the range whole numbers 0 to 10; treated as missing" in result.reasons


# --- Grip and pinch (§7.4) ----------------------------------------------------------------------------------

TRIALS = {"trial1": 20.0, "trial2": 22.0, "trial3": 21.0}
WOMAN_62_RIGHT = {"age": 62, "sex": "female", "side": "right"}


def test_grip_worked_example_woman_62_right_hand():
    result = score("grip", TRIALS, **WOMAN_62_RIGHT)
    assert result.total == pytest.approx(21.0)
    assert result.subscales["percent_of_norm"] == pytest.approx(84.0, abs=0.05)
    assert result.subscales["z"] == pytest.approx(-0.87, abs=TOLERANCE)


def test_grip_norm_is_converted_from_pounds_not_taken_from_rounded_kg():
    result = score("grip", TRIALS, **WOMAN_62_RIGHT)
    norm_kg, sd_kg = 55.1 * 0.45359237, 10.1 * 0.45359237  # 24.99 kg and 4.58 kg, not 25.0 and 4.6
    assert result.subscales["percent_of_norm"] == pytest.approx(100 * 21 / norm_kg, rel=1e-12)
    assert result.subscales["z"] == pytest.approx((21 - norm_kg) / sd_kg, rel=1e-12)


@pytest.mark.parametrize(
    ("age", "sex", "side", "norm_lb"),
    [(64, "female", "right", 55.1), (65, "female", "right", 49.6), (20, "male", "left", 104.5),
     (75, "male", "right", 65.7), (94, "female", "left", 37.6)],
)  # fmt: skip
def test_grip_uses_the_age_band_sex_and_side_row(age, sex, side, norm_lb):
    result = score("grip", TRIALS, age=age, sex=sex, side=side)
    assert result.subscales["percent_of_norm"] == pytest.approx(100 * 21 / (norm_lb * 0.45359237))


def test_grip_under_20_has_no_norm_but_keeps_the_mean():
    result = score("grip", TRIALS, age=19, sex="female", side="right")
    assert result.total == pytest.approx(21.0)
    assert result.subscales["percent_of_norm"] is None and result.subscales["z"] is None
    assert any("start at age 20" in reason for reason in result.reasons)


def test_grip_without_sex_specific_norm_says_so():
    result = score("grip", TRIALS, age=40, sex="other", side="right")
    assert result.subscales["percent_of_norm"] is None
    assert any("sex is other" in reason for reason in result.reasons)


def test_grip_without_demographics_names_what_is_missing():
    result = score("grip", TRIALS, age=40)
    assert result.scorable and result.subscales["z"] is None
    assert "no comparison with the norm: sex, side not given" in result.reasons


def test_grip_with_fewer_than_three_trials_averages_the_answered_ones_and_says_so():
    result = score("grip", {"trial1": 20.0, "trial3": 23.0})
    assert result.total == pytest.approx(21.5)
    assert any("mean of 2 trials" in reason and "trial2" in reason for reason in result.reasons)


def test_grip_without_trials_is_not_scorable():
    assert not score("grip", {}, **WOMAN_62_RIGHT).scorable


def test_grip_percent_of_other_hand():
    result = score("grip", TRIALS, other_hand_kg=28.0)
    assert result.subscales["percent_of_other_hand"] == pytest.approx(75.0)


@pytest.mark.parametrize(
    "options",
    [{"sex": "F"}, {"age": 62.5}, {"age": True}, {"side": "both"}, {"other_hand_kg": 0}, {"other_hand_kg": "28"}],
)
def test_grip_rejects_invalid_option_values(options):
    with pytest.raises(ValueError):
        score("grip", TRIALS, **options)


def test_pinch_is_the_mean_of_trials_with_percent_of_other_hand_and_no_norm():
    result = score("pinch", {"trial1": 5.0, "trial2": 6.0, "trial3": 7.0}, other_hand_kg=8.0)
    assert result.total == pytest.approx(6.0)
    assert result.subscales == {"percent_of_other_hand": pytest.approx(75.0)}


# --- The API surface ----------------------------------------------------------------------------------------


def test_unknown_instrument_is_a_value_error_listing_the_known_ones():
    with pytest.raises(ValueError, match="known instruments: fihoa, grip, mhq, nrs, pgic, pinch, prwe"):
        score("dash", {})


def test_an_option_the_instrument_does_not_take_is_a_value_error():
    with pytest.raises(ValueError, match="quickdash does not take option"):
        score("quickdash", quickdash(*[1] * 11), hand="right")


def test_answers_must_be_a_mapping():
    with pytest.raises(TypeError, match="mapping"):
        score("nrs", [("pain", 3)])  # type: ignore[arg-type]


def test_validate_answers_lists_out_of_range_and_unknown_items_but_not_blanks():
    problems = validate_answers("quickdash", {"q1": 6, "q2": 3, "q3": None, "q4": "x", "q99": 1})
    assert [item_id for item_id, _ in problems] == ["q1", "q4", "q99"]
    assert validate_answers("quickdash", quickdash(*[1] * 11)) == []


def test_scoring_and_responders_import_without_django():
    code = (
        "import sys, handregen.outcomes.scoring, handregen.outcomes.responders; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_score_result_is_frozen():
    result = score("nrs", {"pain": 3})
    with pytest.raises(AttributeError):
        result.total = 4  # type: ignore[misc]


# --- Properties over every instrument -----------------------------------------------------------------------

JUNK = st.one_of(st.integers(-1000, 1000), st.floats(), st.text(max_size=3), st.booleans(), st.none(), st.just([1]))
OPTIONS = {
    "mhq": st.fixed_dictionaries({"hand": st.sampled_from(["right", "left", "both"])}),
    "prwe": st.fixed_dictionaries({}, optional={"missing_policy": st.sampled_from(["none", "subscale_mean_v1"])}),
    "grip": st.fixed_dictionaries(
        {},
        optional={
            "age": st.integers(0, 110),
            "sex": st.sampled_from(["female", "male", "other", "unknown"]),
            "side": st.sampled_from(["right", "left"]),
            "other_hand_kg": st.floats(0.5, 100),
        },
    ),
    "pinch": st.fixed_dictionaries({}, optional={"other_hand_kg": st.floats(0.5, 30)}),
}
CODES = [instrument.code for instrument in all_instruments()]


def valid_values(instrument):
    low, high = instrument.response.min, instrument.response.max
    return st.integers(int(low), int(high)) if instrument.response.integer else st.floats(low, high)


@st.composite
def responses(draw, code, junk=True):
    """A valid response - random, all lowest or all highest answers - with some items dropped (a few, or
    each with even odds, which probes the missing-item thresholds) and, optionally, a few junk values."""
    instrument = load_instrument(code)
    item_ids = instrument.item_ids
    fill = draw(st.sampled_from([valid_values(instrument), st.just(instrument.response.min),
                                 st.just(instrument.response.max)]))  # fmt: skip
    answers = {item_id: draw(fill) for item_id in item_ids}
    coin_flips = st.lists(st.booleans(), min_size=len(item_ids), max_size=len(item_ids))
    dropped = draw(st.one_of(
        st.sets(st.sampled_from(item_ids)),
        coin_flips.map(lambda flips: {item_id for item_id, drop in zip(item_ids, flips, strict=True) if drop}),
    ))  # fmt: skip
    for item_id in dropped:
        del answers[item_id]
    if junk:
        answers |= draw(st.dictionaries(st.sampled_from(item_ids), JUNK, max_size=3))
    return answers, draw(OPTIONS.get(code, st.just({})))


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_every_score_stays_within_its_declared_range(code, data):
    answers, options = data.draw(responses(code))
    result = score(code, answers, **options)
    instrument = load_instrument(code)
    assert result.scorable == (result.total is not None)
    if result.total is not None:
        assert instrument.score_range.contains(result.total), result.total
    assert set(result.subscales) == {subscale.code for subscale in instrument.subscales}
    for subscale in instrument.subscales:
        value = result.subscales[subscale.code]
        assert value is None or (math.isfinite(value) and subscale.score_range.contains(value)), subscale.code


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_removing_one_more_answer_never_makes_an_unscorable_response_scorable(code, data):
    answers, options = data.draw(responses(code, junk=False))
    before = score(code, answers, **options)
    for item_id in answers:
        after = score(code, {k: v for k, v in answers.items() if k != item_id}, **options)
        if not before.scorable:
            assert not after.scorable, item_id
        for subscale, value in before.subscales.items():
            if value is None:
                assert after.subscales[subscale] is None, (item_id, subscale)


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_any_answer_values_score_without_raising_and_validation_names_each_bad_one(code, data):
    instrument = load_instrument(code)
    keys = st.one_of(st.sampled_from(instrument.item_ids), st.text(max_size=4))
    answers = data.draw(st.dictionaries(keys, st.one_of(JUNK, valid_values(instrument))))
    score(code, answers, **data.draw(OPTIONS.get(code, st.just({}))))
    flagged = {item_id for item_id, _ in validate_answers(code, answers)}
    for key, value in answers.items():
        valid = key in instrument.item_ids and (
            value is None
            or (
                not isinstance(value, bool | str | list)
                and math.isfinite(value)
                and instrument.response.min <= value <= instrument.response.max
                and (not instrument.response.integer or float(value).is_integer())
            )
        )
        assert (key in flagged) != valid, (key, value)
