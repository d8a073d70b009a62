"""Cohort figures on small fixed data sets, checked against values computed by hand."""

from datetime import date

import pandas as pd
import pytest

from handregen.analytics.cohort import outcome_figures

TODAY = date(2026, 11, 28)


def _frames(nrs_pairs, quickdash_pairs=(), expected_extra=0):
    """Episodes e0..eN with NRS (and QuickDASH) at baseline and m6; `expected_extra` more were due but not seen."""
    n = len(nrs_pairs) + expected_extra
    episodes = pd.DataFrame({"episode_id": [f"e{i}" for i in range(n)]})
    follow_ups = pd.DataFrame(
        {
            "episode_id": [f"e{i}" for i in range(n)],
            "timepoint": "m6",
            "days": 182,
            "due_from": date(2026, 1, 1),
            "due_until": date(2026, 2, 1),
            "completed_at": None,
            "superseded_at": None,
        }
    )
    rows = []
    for i, (b, f) in enumerate(nrs_pairs):
        rows += [(f"e{i}", "baseline", "nrs", "", b), (f"e{i}", "m6", "nrs", "", f)]
    for i, (b, f) in enumerate(quickdash_pairs):
        rows += [(f"e{i}", "baseline", "quickdash", "", b), (f"e{i}", "m6", "quickdash", "", f)]
    scores = pd.DataFrame(rows, columns=["episode_id", "timepoint", "instrument", "subscale", "value"])
    return scores, episodes, follow_ups


def test_mean_change_and_its_t_interval():
    # changes -1, -2, -3, -4, -5: mean -3, sd 1.5811, t(0.975, 4) = 2.7764 -> -3 +/- 1.9632
    scores, episodes, follow_ups = _frames([(8, 7), (8, 6), (8, 5), (8, 4), (8, 3)])
    figures = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    assert (figures.n_expected, figures.n_assessed) == (5, 5)
    assert figures.mean_change == pytest.approx(-3.0)
    assert figures.ci95 == pytest.approx([-4.9632, -1.0368], abs=1e-4)


def test_responder_rates_complete_case_and_non_responder_imputation():
    # 7 of 20 assessed decreased by >= 2 points; 5 more were expected but not assessed.
    pairs = [(7, 4)] * 7 + [(7, 6)] * 13
    scores, episodes, follow_ups = _frames(pairs, expected_extra=5)
    complete = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    two = next(r for r in complete.responders if r.rule == "nrs_2_points")
    assert (two.n_responders, two.n_assessed, complete.n_expected) == (7, 20, 25)
    assert two.rate == pytest.approx(0.35)
    assert two.ci95 == pytest.approx([0.1539, 0.5922], abs=1e-4)  # Clopper-Pearson 7/20
    imputed = outcome_figures(
        scores=scores,
        episodes=episodes,
        follow_ups=follow_ups,
        instrument="nrs",
        timepoint="m6",
        today=TODAY,
        missing="non_responder",
    )
    assert next(r for r in imputed.responders if r.rule == "nrs_2_points").rate == pytest.approx(7 / 25)


def test_the_30_percent_rule_is_undefined_at_baseline_zero_and_not_counted_as_no():
    scores, episodes, follow_ups = _frames([(0, 0), (10, 7), (10, 8)])
    figures = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    thirty = next(r for r in figures.responders if r.rule == "nrs_30_percent")
    assert (thirty.n_responders, thirty.n_assessed, thirty.n_undefined, thirty.denominator) == (1, 3, 1, 2)
    assert thirty.rate == pytest.approx(0.5)


def test_omeract_oarsi_uses_nrs_and_quickdash_together():
    # Pain 6 -> 2.5 (60 -> 25: -35 points, 58%): high improvement in pain -> responder (clinical-facts 7.6).
    scores, episodes, follow_ups = _frames([(6, 2.5), (6, 6)], quickdash_pairs=[(50, 45), (50, 49)])
    figures = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    omeract = next(r for r in figures.responders if r.rule == "omeract_oarsi")
    assert (omeract.n_responders, omeract.n_assessed) == (1, 2)


def _omeract(nrs_pairs, quickdash_pairs):
    scores, episodes, follow_ups = _frames(nrs_pairs, quickdash_pairs=quickdash_pairs)
    if len(quickdash_pairs) < len(nrs_pairs):  # the missing function scores are absent rows, not NaN
        scores = scores.dropna()
    figures = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    return next(r for r in figures.responders if r.rule == "omeract_oarsi")


def test_omeract_oarsi_worked_examples_of_the_published_rule():
    # Pham 2004 on 0-100 (pain = NRS x 10, function = QuickDASH); patient global not measured = not improved.
    rate = _omeract(
        [(6, 2.5), (5, 3.8), (5, 3.8), (5, 5), (3, 3)],
        [(50, 45), (60, 48), (60, 60), (80, 40), (20, 20)],
    )
    # 1: pain -35 (58%) high -> yes. 2: pain -12 (24%) and function -12 (20%) both moderate -> yes.
    # 3: pain moderate only, no global -> no. 4: function -40 (50%) high -> yes. 5: nothing moved -> no.
    assert (rate.n_responders, rate.n_assessed, rate.n_undefined, rate.denominator) == (3, 5, 0, 5)
    assert rate.threshold["thresholds"]["patient_global_not_measured"] == "not_improved"
    assert rate.threshold["thresholds"]["high_percent"] == 50.0 and "Pham" in rate.threshold["thresholds"]["source"]


def test_omeract_oarsi_is_undefined_only_where_the_function_score_is_missing_and_could_tip_it():
    # Both have pain only; the first improved enough on pain alone (decided), the second needs function.
    rate = _omeract([(6, 2.5), (5, 3.8), (5, 3.8)], [(50, 45)])
    assert (rate.n_responders, rate.n_assessed, rate.n_undefined, rate.denominator) == (1, 3, 2, 1)


def test_the_mcid_rule_carries_its_value_range_and_source():
    scores, episodes, follow_ups = _frames([(5, 5)], quickdash_pairs=[(60, 40)])
    figures = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="quickdash", timepoint="m6", today=TODAY
    )
    mcid = figures.responders[0]
    assert mcid.rule == "mcid" and mcid.n_responders == 1
    assert mcid.threshold["value"] == 14.0 and mcid.threshold["range"] == [9.0, 20.0]
    assert "Sorensen" in mcid.threshold["source"]


def test_not_assessed_counts_only_closed_windows_and_says_why():
    # e0, e1 assessed; e2 window still open; e3 window not yet open; e4 seen later (missed visit); e5 never seen
    # again (dropped out); e6 withdrew; e7 scored at m6 without a baseline score.
    scores, episodes, follow_ups = _frames([(7, 4), (7, 6)], expected_extra=6)
    scores = pd.concat([scores, pd.DataFrame([("e7", "m6", "nrs", "", 5.0)], columns=scores.columns)])
    follow_ups["due_until"] = date(2026, 2, 1)
    follow_ups.loc[2, ["due_from", "due_until"]] = [date(2026, 11, 1), date(2026, 12, 20)]
    follow_ups.loc[3, ["due_from", "due_until"]] = [date(2027, 1, 1), date(2027, 2, 1)]
    later = pd.DataFrame({"episode_id": ["e4"], "timepoint": ["m12"], "days": [365], "due_from": [date(2026, 7, 1)],
                          "due_until": [date(2026, 8, 1)], "completed_at": [date(2026, 7, 5)],
                          "superseded_at": [None]})  # fmt: skip
    follow_ups = pd.concat([follow_ups, later], ignore_index=True)
    episodes["stage_now"] = ["follow_up"] * 6 + ["withdrawn", "follow_up"]
    figures = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    assert (figures.n_assessed, figures.n_expected, figures.n_window_open) == (2, 6, 1)
    assert figures.not_assessed == {"missed visit": 1, "dropped out": 1, "withdrew": 1, "no baseline score": 1}
    assert sum(figures.not_assessed.values()) == figures.n_not_assessed


def test_a_measure_not_scheduled_at_a_time_point_expects_nobody():
    scores, episodes, follow_ups = _frames([(7, 4), (7, 6)], quickdash_pairs=[(50, 30), (50, 45)], expected_extra=2)
    follow_ups["instruments"] = [["nrs", "pgic"]] * 4  # like the 2-week visit: no QuickDASH
    quickdash = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="quickdash", timepoint="m6", today=TODAY
    )
    assert (quickdash.n_expected, quickdash.scheduled) == (0, False)
    pain = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    assert pain.n_expected == 4 and "omeract_oarsi" not in [r.rule for r in pain.responders]
    assert any("not scheduled" in note for note in pain.notes)


def test_complete_case_and_non_responder_rates_are_given_side_by_side():
    scores, episodes, follow_ups = _frames([(7, 4)] * 3 + [(7, 6)] * 2, expected_extra=5)
    figures = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    two = next(r for r in figures.responders if r.rule == "nrs_2_points")
    assert (two.rate_complete_case, two.denominator_complete_case) == (pytest.approx(3 / 5), 5)
    assert (two.rate_non_responder, two.denominator_non_responder) == (pytest.approx(3 / 10), 10)
    assert two.ci95_non_responder[0] <= 0.3 <= two.ci95_non_responder[1]


def test_a_patient_with_two_hands_gets_a_cluster_robust_interval_by_patient():
    import statsmodels.api as sm

    scores, episodes, follow_ups = _frames([(8, 7), (8, 3), (8, 5), (8, 4), (8, 6), (8, 2)])
    episodes["patient_id"] = ["p0", "p0", "p1", "p2", "p2", "p3"]
    figures = outcome_figures(
        scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    change = [-1, -5, -3, -4, -2, -6]
    fit = sm.OLS(change, [[1]] * 6).fit(cov_type="cluster", cov_kwds={"groups": [0, 0, 1, 2, 2, 3]}, use_t=True)
    assert figures.n_patients == 4
    assert figures.ci95_cluster_robust == pytest.approx(list(fit.conf_int()[0]))
    one_each = episodes.assign(patient_id=[f"p{i}" for i in range(6)])
    alone = outcome_figures(
        scores=scores, episodes=one_each, follow_ups=follow_ups, instrument="nrs", timepoint="m6", today=TODAY
    )
    assert alone.ci95_cluster_robust is None and alone.n_patients == 6
