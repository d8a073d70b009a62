"""Expectations for a new patient: strict match first, relaxed step by step, and "too few" when so."""

import pandas as pd
import pytest

from handregen.analytics.expectation import age_band, expectation_for, nrs_band, stage_refusal


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
    assert answer.enough and answer.n_similar == answer.n_strict == answer.n_core == 20
    assert answer.responder_share == pytest.approx(0.35)
    # Clopper-Pearson for 7/20, as in the statistics tests: (0.1539, 0.5922)
    assert answer.ci95 == pytest.approx((0.1539, 0.5922), abs=1e-4)
    assert "sex: female" in answer.criteria_used and "condition: thumb base osteoarthritis" in answer.criteria_used
    assert not any("thumb_cmc_oa" in c for c in answer.criteria_used)  # words, not codes
    assert "does not predict" in answer.message and "20 matched on every criterion" in answer.message


def test_optional_criteria_are_relaxed_in_the_stated_order_and_the_strict_n_is_kept():
    # 12 match everything; 10 more differ in sex only; 30 more differ in age band only.
    past = _rows(_many(12, 6) + _many(10, 2, sex="male") + _many(30, 3, age_band="40-49"))
    answer = expectation_for(past, indication="thumb_cmc_oa", stage="II", age=64, sex="female", baseline_nrs=8)
    assert answer.relaxed == ["sex"] and answer.n_similar == 22 and answer.n_strict == 12
    assert answer.n_core == 52 and "age: 60-69" in answer.criteria_used
    assert "sex not matched" in answer.message


def test_the_core_is_never_relaxed_stage_band_and_pain_band_included():
    # 19 in the core; 30 of another pain band and 30 of the advanced stage band do not count.
    past = _rows(
        _many(19, 10) + _many(30, 10, baseline_nrs_band="4-6") + _many(30, 10, stage="III")
        + _many(30, 10, indication="finger_oa")
    )  # fmt: skip
    answer = expectation_for(past, indication="thumb_cmc_oa", stage="I", age=64, sex="female", baseline_nrs=8)
    assert not answer.enough and answer.n_core == 19 and answer.n_similar == 19
    assert answer.responder_share is None and answer.ci95 is None
    assert answer.message.startswith("Too few similar patients to tell")
    assert "stage: Eaton-Littler I-II" in answer.criteria_used


def test_the_reported_wrist_patient_with_no_similar_past_patient_hears_too_few():
    # The case: 86 wrist patients, none of stage KL 0-2 with mild pain.
    past = _rows(_many(86, 30, indication="wrist_oa", stage="KL3", baseline_nrs_band="7-10"))
    answer = expectation_for(past, indication="wrist_oa", stage="KL1", age=36, sex="female", baseline_nrs=3)
    assert not answer.enough and (answer.n_core, answer.n_strict) == (0, 0)
    assert "0 past patient(s) share the condition, stage and pain before treatment" in answer.message


def test_without_a_stage_or_baseline_pain_there_is_no_core_to_match():
    answer = expectation_for(_rows(_many(40, 10)), indication="thumb_cmc_oa", stage=None, age=64, sex=None,
                             baseline_nrs=None)  # fmt: skip
    assert not answer.enough
    assert "the stage and the pain before treatment must be known" in answer.message


def test_the_threshold_is_a_parameter():
    past = _rows(_many(12, 6))
    answer = expectation_for(
        past, indication="thumb_cmc_oa", stage="II", age=64, sex="female", baseline_nrs=8, min_n=10
    )
    assert answer.enough and answer.min_n == 10


def test_stages_that_do_not_exist_for_the_indication_are_refused():
    assert stage_refusal("wrist_oa", "II") is not None
    assert stage_refusal("wrist_oa", "KL2") is None and stage_refusal("thumb_cmc_oa", "IV") is None
    assert stage_refusal("thumb_cmc_oa", "V") is not None


def test_synthetic_patients_in_the_match_are_named():
    past = _rows(_many(20, 7)).assign(is_synthetic=[True] * 5 + [False] * 15)
    answer = expectation_for(past, indication="thumb_cmc_oa", stage="II", age=64, sex="female", baseline_nrs=8)
    assert answer.synthetic_patients == 5 and "Includes 5 synthetic" in answer.message


def test_invalid_stage_or_time_point_is_a_422_naming_the_field(api, demo_site):
    client = api("physician")
    bad = client.get("/api/v1/analytics/expectation", indication="wrist_oa", stage="II", baseline_nrs=3)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "stage"
    bad = client.get("/api/v1/analytics/expectation", indication="wrist_oa", stage="KL1", timepoint="m7")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "timepoint"
