"""Tests for the pure statistics layer, checked against values worked out by hand in the comments."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handregen.analytics.stats import (
    change_from_baseline,
    event_rate_per_100,
    kaplan_meier,
    mean_ci,
    mixed_model_trajectory,
    proportion_ci,
    responder_rate,
)


def approx(value: float, abs_tol: float = 1e-4):
    return pytest.approx(value, abs=abs_tol)


def assert_json(result) -> dict:
    """as_dict() must be strict JSON (no NaN) and survive a round trip."""
    data = result.as_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    return data


# --- mean_ci -------------------------------------------------------------------------------------


def test_mean_ci_t_interval_by_hand():
    # values 1..5: mean 3; deviations -2,-1,0,1,2 -> SS = 10; sd = sqrt(10/4) = 1.5811
    # se = 1.5811/sqrt(5) = 0.70711; t(0.975, 4) = 2.7764; half-width = 2.7764 * 0.70711 = 1.9632
    r = mean_ci([1, 2, 3, 4, 5])
    assert (r.n, r.n_missing) == (5, 0)
    assert r.mean == approx(3.0)
    assert r.sd == approx(1.5811)
    assert r.ci_low == approx(3 - 1.9632)
    assert r.ci_high == approx(3 + 1.9632)
    assert r.reason is None
    assert assert_json(r)["mean"] == 3.0


def test_mean_ci_drops_missing_and_counts_them():
    # [1, None, 3, NaN] -> values 1, 3: mean 2, sd = sqrt(2) = 1.4142, se = 1.4142/sqrt(2) = 1
    # t(0.975, 1) = 12.7062 -> 2 +/- 12.7062
    r = mean_ci([1, None, 3, float("nan")])
    assert (r.n, r.n_missing) == (2, 2)
    assert r.sd == approx(math.sqrt(2))
    assert (r.ci_low, r.ci_high) == (approx(2 - 12.7062), approx(2 + 12.7062))


def test_mean_ci_too_few_values():
    one = mean_ci(np.array([4.0]))
    assert one.mean == 4.0 and one.ci_low is None and one.ci_high is None and one.sd is None
    assert "at least 2" in (one.reason or "")
    none = mean_ci([])
    assert none.n == 0 and none.mean is None and none.reason == "no values"
    assert_json(none)


def test_mean_ci_rejects_bad_input():
    with pytest.raises(ValueError):
        mean_ci([1, 2], level=1.0)
    with pytest.raises(ValueError):
        mean_ci([1, float("inf")])


# --- proportion_ci -------------------------------------------------------------------------------


def test_clopper_pearson_by_hand():
    # k=7, n=20: lower = Beta^-1(0.025; 7, 14) = 0.1539, upper = Beta^-1(0.975; 8, 13) = 0.5922
    r = proportion_ci(7, 20)
    assert r.rate == 0.35
    assert (r.ci_low, r.ci_high) == (approx(0.1539), approx(0.5922))
    assert r.method == "clopper_pearson"


def test_clopper_pearson_edges_exact():
    # k=0: lower is exactly 0; upper = 1 - 0.025^(1/10) = 1 - 0.69150 = 0.30850
    zero = proportion_ci(0, 10)
    assert zero.rate == 0.0 and zero.ci_low == 0.0
    assert zero.ci_high == approx(1 - 0.025 ** (1 / 10), 1e-12)
    assert zero.ci_high == approx(0.3085)
    # k=n: upper is exactly 1; lower = 0.025^(1/10) = 0.69150
    full = proportion_ci(10, 10)
    assert full.ci_high == 1.0
    assert full.ci_low == approx(0.6915)


def test_wilson_by_hand():
    # k=7, n=20, z = 1.95996, z^2 = 3.84146, p = 0.35
    # centre = (7 + z^2/2) / (20 + z^2) = 8.92073 / 23.84146 = 0.37417
    # half = z * sqrt(k(n-k)/n + z^2/4) / (n + z^2) = 1.95996 * sqrt(4.55 + 0.96036) / 23.84146
    #      = 1.95996 * 2.34742 / 23.84146 = 0.19298   -> (0.1812, 0.5672)
    r = proportion_ci(7, 20, method="wilson")
    assert (r.ci_low, r.ci_high) == (approx(0.1812), approx(0.5672))
    # k = n = 10: lower = n / (n + z^2) = 10 / 13.84146 = 0.72247, upper exactly 1
    full = proportion_ci(10, 10, method="wilson")
    assert full.ci_low == approx(0.7225) and full.ci_high == 1.0
    assert proportion_ci(0, 10, method="wilson").ci_low == 0.0


def test_proportion_zero_denominator_and_errors():
    r = proportion_ci(0, 0)
    assert r.rate is None and r.ci_low is None and r.reason == "denominator is 0"
    assert_json(r)
    with pytest.raises(ValueError):
        proportion_ci(3, 2)
    with pytest.raises(ValueError):
        proportion_ci(1, 2, method="wald")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        proportion_ci(True, 2)
    with pytest.raises(ValueError):
        proportion_ci(-1, 2)


# --- responder_rate ------------------------------------------------------------------------------


def test_responder_rate_complete_case_and_non_responder_imputation():
    # 8 patients expected; 5 assessed: flags T, T, F, undefined (baseline 0), T; 3 not assessed.
    flags = [True, True, False, None, True]
    cc = responder_rate(flags, n_expected=8)
    # complete case: 3 responders / (5 assessed - 1 undefined) = 3/4
    assert (cc.n_responders, cc.n_assessed, cc.n_not_assessed, cc.n_undefined) == (3, 5, 3, 1)
    assert cc.denominator == 4 and cc.rate == 0.75
    nri = responder_rate(flags, n_expected=8, missing="non_responder")
    # non-responder imputation: 3 responders / 8 expected = 0.375
    # Clopper-Pearson 3/8: Beta^-1(0.025; 3, 6) = 0.0852, Beta^-1(0.975; 4, 5) = 0.7551
    assert nri.denominator == 8 and nri.rate == 0.375
    assert (nri.ci_low, nri.ci_high) == (approx(0.0852), approx(0.7551))
    assert "non-responder" in nri.assumption.lower()
    assert "complete case" in cc.assumption.lower()
    data = assert_json(nri)
    assert data["n_expected"] == 8 and data["missing"] == "non_responder"


def test_responder_rate_nobody_defined():
    r = responder_rate([None, None], n_expected=5)
    assert r.denominator == 0 and r.rate is None and r.reason
    nri = responder_rate([None, None], n_expected=5, missing="non_responder")
    assert nri.rate == 0.0 and nri.n_undefined == 2


def test_responder_rate_accepts_numpy_and_nan_and_rejects_numbers():
    r = responder_rate(np.array([True, False]), n_expected=2)
    assert r.rate == 0.5
    assert responder_rate([True, float("nan"), pd.NA], n_expected=3).n_undefined == 2
    with pytest.raises(TypeError):
        responder_rate([1, 0], n_expected=2)
    with pytest.raises(ValueError):
        responder_rate([True, True, True], n_expected=2)
    with pytest.raises(ValueError):
        responder_rate([True], n_expected=2, missing="ignore")  # type: ignore[arg-type]


# --- change_from_baseline ------------------------------------------------------------------------


def _three_patient_frame() -> pd.DataFrame:
    rows = [
        # episode, timepoint, instrument, subscale, value
        ("e1", "baseline", "NRS", "pain", 7),
        ("e1", "3m", "NRS", "pain", 4),
        ("e1", "6m", "NRS", "pain", 3),
        ("e2", "baseline", "NRS", "pain", 6),
        ("e2", "3m", "NRS", "pain", 5),
        ("e2", "6m", "NRS", "pain", None),  # missing: ignored
        ("e3", "baseline", "NRS", "pain", 8),
        ("e3", "3m", "NRS", "pain", 3),
        ("e3", "6m", "NRS", "pain", 5),
        ("e4", "3m", "NRS", "pain", 5),  # no baseline: cannot be paired
        ("e1", "baseline", "QuickDASH", "total", 50),
        ("e1", "3m", "QuickDASH", "total", 40),
    ]
    # e9 (6m only, no baseline) comes first so that first-appearance order would put 6m before 3m
    rows.insert(0, ("e9", "6m", "NRS", "pain", 2))
    return pd.DataFrame(rows, columns=["episode_id", "timepoint", "instrument", "subscale", "value"])


def test_change_from_baseline_by_hand():
    result = change_from_baseline(_three_patient_frame(), timepoint_order=["baseline", "3m", "6m"])
    keyed = {(r.instrument, r.subscale, r.timepoint): r for r in result.rows}
    assert list(keyed) == [("NRS", "pain", "3m"), ("NRS", "pain", "6m"), ("QuickDASH", "total", "3m")]

    # NRS 3m: changes 4-7 = -3, 5-6 = -1, 3-8 = -5 -> mean -3; deviations 0, 2, -2 -> sd = sqrt(8/2) = 2
    # t(0.975, 2) = 4.3027; half = 4.3027 * 2 / sqrt(3) = 4.9683 -> (-7.9683, 1.9683)
    m3 = keyed[("NRS", "pain", "3m")]
    assert (m3.n_assessed, m3.n_baseline, m3.n_without_baseline) == (3, 3, 1)
    assert m3.mean_baseline == approx(7.0) and m3.mean_followup == approx(4.0)
    assert m3.mean_change == approx(-3.0) and m3.sd_change == approx(2.0)
    assert (m3.ci_low, m3.ci_high) == (approx(-7.9683), approx(1.9683))

    # NRS 6m: e1 3-7 = -4, e3 5-8 = -3 (e2 missing) -> mean -3.5, sd = sqrt(0.5) = 0.70711
    # t(0.975, 1) = 12.7062; half = 12.7062 * 0.70711 / sqrt(2) = 6.3531 -> (-9.8531, 2.8531)
    m6 = keyed[("NRS", "pain", "6m")]
    assert m6.n_assessed == 2 and m6.n_without_baseline == 1
    assert m6.mean_change == approx(-3.5)
    assert (m6.ci_low, m6.ci_high) == (approx(-9.8531), approx(2.8531))

    # QuickDASH: one patient, 40 - 50 = -10, no CI
    q = keyed[("QuickDASH", "total", "3m")]
    assert q.n_assessed == 1 and q.mean_change == approx(-10.0)
    assert q.ci_low is None and q.sd_change is None

    frame = result.to_frame()
    assert list(frame["n_assessed"]) == [3, 2, 1]
    data = assert_json(result)
    assert data["baseline_label"] == "baseline" and len(data["rows"]) == 3


def test_change_from_baseline_missing_subscale_and_no_pairs():
    df = pd.DataFrame(
        {
            "episode_id": [1, 1, 2, 2, 3],
            "timepoint": ["baseline", "1m", "baseline", "1m", "3m"],
            "instrument": ["NRS"] * 5,
            "subscale": [None] * 5,
            "value": [6.0, 4.0, 5.0, 2.0, 1.0],
        }
    )
    rows = change_from_baseline(df).rows
    # 1m: changes -2, -3 -> mean -2.5 ; 3m: episode 3 has no baseline -> nothing paired
    assert [(r.timepoint, r.subscale, r.n_assessed) for r in rows] == [("1m", None, 2), ("3m", None, 0)]
    assert rows[0].mean_change == approx(-2.5)
    assert rows[1].mean_change is None and rows[1].n_without_baseline == 1


def test_change_from_baseline_rejects_duplicates_and_missing_columns():
    df = _three_patient_frame()
    with pytest.raises(ValueError, match="duplicates"):
        change_from_baseline(pd.concat([df, df.iloc[[1]]]))
    with pytest.raises(ValueError, match="lacks columns"):
        change_from_baseline(df.drop(columns="subscale"))
    empty = change_from_baseline(df.iloc[0:0])
    assert empty.rows == ()


# --- Kaplan-Meier --------------------------------------------------------------------------------


def test_kaplan_meier_product_limit_by_hand():
    # days:   2  3  3  5  6  8
    # event:  1  1  0  1  0  1
    # t=2: 6 at risk, 1 event -> S = 5/6 = 0.8333
    # t=3: 5 at risk, 1 event (+1 censored) -> S = 5/6 * 4/5 = 0.6667
    # t=5: 3 at risk, 1 event -> S = 0.6667 * 2/3 = 0.4444
    # t=6: 2 at risk, censored only -> S unchanged
    # t=8: 1 at risk, 1 event -> S = 0
    # log(-log) Greenwood CI at t=2: var = [1/(6*5)] / ln(5/6)^2 = 0.03333/0.03324 = 1.00277, se = 1.00139
    # S^exp(+/-1.96*se) = (5/6)^7.1168, (5/6)^0.14051 = (0.2731, 0.9747)
    r = kaplan_meier([2, 3, 3, 5, 6, 8], [1, 1, 0, 1, 0, 1], at=[1, 2, 4, 5, 7, 9])
    assert (r.n, r.n_events, r.max_follow_up_days, r.median_days) == (6, 4, 8.0, 5.0)
    surv = [p.survival for p in r.points]
    assert surv[:5] == [approx(1.0), approx(5 / 6), approx(4 / 6), approx(4 / 9), approx(4 / 9)]
    # beyond the last observation: not reported
    assert surv[5] is None and r.points[5].reason
    # at risk = subjects with duration >= day: day 1 -> 6, 2 -> 6, 4 -> 3, 5 -> 3, 7 -> 1, 9 -> 0
    assert [p.n_at_risk for p in r.points] == [6, 6, 3, 3, 1, 0]
    at2 = r.points[1]
    assert (at2.ci_low, at2.ci_high) == (approx(0.2731), approx(0.9747))

    steps = [(s.day, s.n_at_risk, s.n_events, s.n_censored) for s in r.steps]
    assert steps == [(2, 6, 1, 0), (3, 5, 1, 1), (5, 3, 1, 0), (6, 2, 0, 1), (8, 1, 1, 0)]
    assert [s.survival for s in r.steps] == [
        approx(5 / 6),
        approx(4 / 6),
        approx(4 / 9),
        approx(4 / 9),
        approx(0.0),
    ]
    assert_json(r)


def test_kaplan_meier_no_events_and_empty():
    r = kaplan_meier([30, 60, 90], [False, False, False], at=[45])
    assert r.median_days is None and r.points[0].survival == 1.0 and r.n_events == 0
    empty = kaplan_meier([], [], at=[10])
    assert empty.n == 0 and empty.points[0].survival is None and empty.reason == "no subjects"
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [1])
    with pytest.raises(ValueError):
        kaplan_meier([1, -2], [1, 0])
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [1, 2])


# --- event rate per 100 procedures ---------------------------------------------------------------


def test_event_rate_binomial_and_poisson_by_hand():
    # 0 events in 20 procedures, binomial: upper = 1 - 0.025^(1/20) = 0.16843 -> 16.843 per 100
    b0 = event_rate_per_100(0, 20)
    assert (b0.rate_per_100, b0.ci_low, b0.ci_high) == (0.0, 0.0, approx(16.843, 1e-3))
    assert "Clopper-Pearson" in b0.method_description
    # Poisson: upper count = chi2(0.975; 2)/2 = -ln(0.025) = 3.6889 -> 3.6889/20*100 = 18.444
    p0 = event_rate_per_100(0, 20, method="poisson")
    assert p0.ci_high == approx(-math.log(0.025) / 20 * 100, 1e-9)
    # 2 events in 40: Garwood count limits 0.2422 and 7.2247 -> per 100: 0.6055, 18.062
    p2 = event_rate_per_100(2, 40, method="poisson")
    assert (p2.rate_per_100, p2.ci_low, p2.ci_high) == (5.0, approx(0.6055), approx(18.0617))
    # binomial 2/40 = Clopper-Pearson x 100
    cp = proportion_ci(2, 40)
    b2 = event_rate_per_100(2, 40)
    assert b2.ci_low == approx(100 * cp.ci_low, 1e-9) and b2.ci_high == approx(100 * cp.ci_high, 1e-9)
    assert_json(b2)


def test_event_rate_edges():
    assert event_rate_per_100(0, 0).rate_per_100 is None
    with pytest.raises(ValueError, match="poisson"):
        event_rate_per_100(5, 3)
    assert event_rate_per_100(5, 3, method="poisson").rate_per_100 == approx(500 / 3)


# --- mixed model ---------------------------------------------------------------------------------

MONTHS = {"baseline": 0, "3m": 3, "6m": 6, "12m": 12}


def _synthetic_cohort(seed: int = 20240611) -> pd.DataFrame:
    # score = 60 + patient effect (sd 8) - 1.5 * months + 0.3 * (age - 60) + noise (sd 3)
    rng = np.random.default_rng(seed)
    n = 40
    patient = np.repeat(np.arange(n), len(MONTHS))
    tp = np.tile(list(MONTHS), n)
    months = np.array([MONTHS[t] for t in tp], dtype=float)
    age = np.repeat(rng.uniform(45, 80, n), len(MONTHS))
    sex = np.repeat(rng.choice(["F", "M"], n), len(MONTHS))
    score = (
        60
        + np.repeat(rng.normal(0, 8, n), len(MONTHS))
        - 1.5 * months
        + 0.3 * (age - 60)
        + rng.normal(0, 3, patient.size)
    )
    df = pd.DataFrame({"patient_id": patient, "timepoint": tp, "score": score, "age": age, "sex": sex})
    keep = rng.uniform(size=len(df)) > 0.1  # ~10% of visits missing
    keep[df["timepoint"].to_numpy() == "baseline"] = True
    return df[keep].reset_index(drop=True)


def test_mixed_model_recovers_known_slope():
    r = mixed_model_trajectory(_synthetic_cohort(), ["age", "C(sex)"], timepoint_order=["baseline", "3m", "6m", "12m"])
    assert r.fitted and r.converged and r.reason is None
    assert r.n_patients == 40 and r.n_observations > 140
    # true time effects: -1.5 per month -> 3m: -4.5, 6m: -9, 12m: -18 (noise sd 3 -> SE about 0.7)
    for label, months in (("3m", 3), ("6m", 6), ("12m", 12)):
        coef = r.coefficient(f"C(timepoint)[T.{label}]")
        assert coef.estimate == pytest.approx(-1.5 * months, abs=2.0)
        assert coef.ci_low < coef.estimate < coef.ci_high
    assert r.coefficient("age").estimate == pytest.approx(0.3, abs=0.25)
    assert r.coefficient("C(sex)[T.M]").estimate is not None
    assert r.timepoints == ("baseline", "3m", "6m", "12m")
    assert r.patient_variance is not None and r.patient_variance > 10  # true 64
    text = " ".join(r.caveats).lower()
    for words in ("observational", "no control group", "regression to the mean", "missing not at random"):
        assert words in text
    assert_json(r)


def test_mixed_model_tiny_data_is_not_fitted():
    tiny = pd.DataFrame({"patient_id": [1, 1], "timepoint": ["baseline", "3m"], "score": [7.0, 4.0]})
    r = mixed_model_trajectory(tiny)
    assert r.fitted is False and r.converged is False and r.reason
    assert r.n_observations == 2 and r.coefficients == ()
    assert len(r.caveats) >= 4
    assert_json(r)


def test_mixed_model_degenerate_designs_are_not_fitted():
    df = _synthetic_cohort()
    assert "reference" in (mixed_model_trajectory(df[df.timepoint != "baseline"]).reason or "")
    assert not mixed_model_trajectory(df[df.timepoint == "baseline"]).fitted
    constant = df.assign(dose=1.0, site="A")
    assert "singular" in (mixed_model_trajectory(constant, ["dose", "age"]).reason or "")
    one_level = mixed_model_trajectory(constant, ["C(site)"])
    assert one_level.fitted and any("only one level" in c for c in one_level.caveats)
    one_visit = df.drop_duplicates("patient_id")
    assert not mixed_model_trajectory(one_visit).fitted


def test_mixed_model_refuses_unsafe_terms():
    df = _synthetic_cohort()
    with pytest.raises(ValueError):
        mixed_model_trajectory(df, ["__import__('os').system('true')"])
    with pytest.raises(ValueError):
        mixed_model_trajectory(df, ["not_a_column"])
    with pytest.raises(TypeError):
        mixed_model_trajectory(df, "age")


# --- properties ----------------------------------------------------------------------------------

levels = st.floats(min_value=0.5, max_value=0.999)
counts = st.integers(min_value=0, max_value=400).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=50), levels)
def test_mean_ci_contains_mean(values, level):
    r = mean_ci(values, level=level)
    assert r.ci_low is not None and r.ci_high is not None and r.mean is not None
    assert r.ci_low <= r.mean <= r.ci_high


@given(counts, st.sampled_from(["clopper_pearson", "wilson"]), levels)
def test_proportion_ci_bounds_in_unit_interval_and_contain_rate(kn, method, level):
    k, n = kn
    r = proportion_ci(k, n, method=method, level=level)
    if n == 0:
        assert r.rate is None
        return
    assert r.rate is not None and r.ci_low is not None and r.ci_high is not None
    assert 0.0 <= r.ci_low <= r.rate <= r.ci_high <= 1.0


@given(st.lists(st.sampled_from([True, False, None])), st.integers(min_value=0, max_value=30))
def test_responder_rates_in_unit_interval(flags, extra):
    n_expected = len(flags) + extra
    cc = responder_rate(flags, n_expected)
    nri = responder_rate(flags, n_expected, missing="non_responder")
    for r in (cc, nri):
        assert r.n_assessed + r.n_not_assessed == n_expected
        if r.rate is not None:
            assert r.ci_low is not None and r.ci_high is not None
            assert 0.0 <= r.ci_low <= r.rate <= r.ci_high <= 1.0
    # counting the missing as non-responders can only lower the rate
    if cc.rate is not None and nri.rate is not None:
        assert nri.rate <= cc.rate


@given(counts, st.sampled_from(["binomial", "poisson"]))
def test_event_rate_interval_contains_rate(kn, method):
    k, n = kn
    r = event_rate_per_100(k, n, method=method)
    if n == 0:
        return
    assert r.rate_per_100 is not None and r.ci_low is not None and r.ci_high is not None
    assert 0.0 <= r.ci_low <= r.rate_per_100 <= r.ci_high
    if method == "binomial":
        assert r.ci_high <= 100.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=400), st.booleans()), min_size=1, max_size=30))
def test_kaplan_meier_survival_monotone_and_bounded(obs):
    durations = [d for d, _ in obs]
    events = [e for _, e in obs]
    r = kaplan_meier(durations, events, at=[0, 100, 200, 400])
    previous = 1.0
    for s in r.steps:
        assert 0.0 <= s.survival <= previous + 1e-12
        if s.ci_low is not None and s.ci_high is not None:
            assert s.ci_low - 1e-9 <= s.survival <= s.ci_high + 1e-9
        previous = s.survival
    for p in r.points:
        assert p.survival is None or 0.0 <= p.survival <= 1.0


def _nested_cohort(seed: int = 7) -> pd.DataFrame:
    # Patients with one or two episodes; score = 60 + patient (sd 8) + episode (sd 4) + (-12 + slope sd 4) * years
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(60):
        patient, slope = rng.normal(0, 8), rng.normal(-12, 4)
        for e in range(1 + (p % 3 == 0)):
            episode = rng.normal(0, 4)
            for label, months in MONTHS.items():
                years = months / 12
                score = 60 + patient + episode + slope * years + rng.normal(0, 2)
                rows.append((p, f"{p}-{e}", label, years, score))
    return pd.DataFrame(rows, columns=["patient_id", "episode_id", "timepoint", "years", "score"])


def test_mixed_model_random_slope_and_episodes_nested_in_patients_recover_their_variances():
    r = mixed_model_trajectory(
        _nested_cohort(), timepoint_order=list(MONTHS), time_col="years", episode_col="episode_id"
    )
    assert r.fitted and r.reason is None
    assert "slope for years" in r.random_effects and "episode within patient" in r.random_effects
    assert "(1 + years | patient_id)" in r.model and "(1 | patient_id:episode_id)" in r.model
    assert r.slope_variance is not None and 4 < r.slope_variance < 40  # true 16
    assert r.episode_variance is not None and 4 < r.episode_variance < 40  # true 16
    assert r.coefficient("C(timepoint)[T.12m]").estimate == pytest.approx(-12, abs=3)
    assert_json(r)


def test_mixed_model_with_one_episode_per_patient_says_episodes_and_patients_coincide():
    single = _nested_cohort()
    single = single[single["episode_id"].str.endswith("-0")]
    r = mixed_model_trajectory(single, timepoint_order=list(MONTHS), time_col="years", episode_col="episode_id")
    assert r.fitted and r.episode_variance is None
    assert any("episodes and patients coincide" in c for c in r.caveats)
