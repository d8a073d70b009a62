"""Expectations for a new patient: strict match first, relaxed step by step, and "too few" when so."""

import pandas as pd
import pytest

from handregen.analytics.expectation import age_band, expectation_for, nrs_band


def _past(rows):
    return pd.DataFrame(
        rows, columns=["indication", "stage", "age_band", "sex", "baseline_nrs_band", "responder", "reintervention"]
    )


def _rows(dicts):
    columns = ["indication", "stage", "age_band", "sex", "baseline_nrs_band", "responder", "reintervention"]
    return pd.DataFrame([{c: d[c] for c in columns} for d in dicts])


def _many(n, responders, **fixed):
    base = {
        "indication": "thumb_cmc_oa",
        "stage": "II",
        "age_band": "60-69",
        "sex": "female",
        "baseline_nrs_band": "7-10",
        "reintervention": False,
    } | fixed
    return [base | {"responder": i < responders} for i in range(n)]


def test_bands():
    assert [age_band(a) for a in (35, 40, 69, 79, 80, 95)] == ["<40", "40-49", "60-69", "70-79", "80+", "80+"]
    assert [nrs_band(x) for x in (0, 3.9, 4, 6.5, 7, 10)] == ["0-3", "0-3", "4-6", "4-6", "7-10", "7-10"]


def test_an_exact_match_of_enough_patients_gives_the_share_and_its_exact_ci():
    past = _rows(_many(20, 7))
    answer = expectation_for(past, indication="thumb_cmc_oa", stage="II", age=64, sex="female", baseline_nrs=8)
    assert answer.enough and answer.n_similar == 20
    assert answer.responder_share == pytest.approx(0.35)
    # Clopper-Pearson for 7/20, as in the statistics tests: (0.1539, 0.5922)
    assert answer.ci95 == pytest.approx((0.1539, 0.5922), abs=1e-4)
    assert "sex = female" in answer.criteria_used
    assert "does not predict" in answer.message


def test_criteria_are_relaxed_least_important_first_until_enough_match():
    past = _rows(_many(12, 6) + _many(10, 2, baseline_nrs_band="4-6"))
    answer = expectation_for(past, indication="thumb_cmc_oa", stage="II", age=64, sex="female", baseline_nrs=8)
    assert answer.n_similar == 22
    assert not any(c.startswith("baseline_nrs_band") for c in answer.criteria_used)
    assert "stage = II" in answer.criteria_used


def test_below_the_minimum_it_says_too_few_to_tell():
    past = _rows(_many(19, 10) + _many(30, 10, indication="finger_oa"))
    answer = expectation_for(past, indication="thumb_cmc_oa", stage="II", age=64, sex="female", baseline_nrs=8)
    assert not answer.enough and answer.n_similar == 19
    assert answer.responder_share is None and answer.ci95 is None
    assert answer.message.startswith("Too few similar patients to tell")
    assert answer.criteria_used == ["indication = thumb_cmc_oa"]  # never relaxed away
