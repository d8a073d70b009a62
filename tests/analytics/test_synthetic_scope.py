"""Synthetic (made-up) patients are left out of analytics, reports and exports unless asked for, and whatever
includes them says so."""

from __future__ import annotations

import csv
from dataclasses import asdict
from datetime import date

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from handregen.analytics import selectors
from handregen.analytics.cohort import outcome_figures
from handregen.analytics.dataset import CohortFilters, synthetic_label, synthetic_scope
from handregen.analytics.report import cohort_report_context, render_cohort_report_html
from handregen.analytics.synthetic.writer import synth_registry
from handregen.interop.csv_export import export_csv

TODAY = date(2026, 11, 28)
nrs = st.integers(0, 10)


def _frames(pairs, synthetic):
    ids = [f"e{i}" for i in range(len(pairs))]
    episodes = pd.DataFrame({"episode_id": ids, "patient_id": [f"p{i // 2}" for i in range(len(ids))],
                             "is_synthetic": synthetic})  # fmt: skip
    follow_ups = pd.DataFrame({"episode_id": ids, "timepoint": "m6", "days": 182, "due_from": date(2026, 1, 1),
                               "due_until": date(2026, 2, 1), "completed_at": None, "superseded_at": None})  # fmt: skip
    rows = [
        r for i, (b, f) in enumerate(pairs) for r in ((ids[i], "baseline", "nrs", "", b), (ids[i], "m6", "nrs", "", f))
    ]
    scores = pd.DataFrame(rows, columns=["episode_id", "timepoint", "instrument", "subscale", "value"])
    return episodes, follow_ups, scores


def _figures(episodes, follow_ups, scores):
    return asdict(outcome_figures(scores=scores, episodes=episodes, follow_ups=follow_ups, instrument="nrs",
                                  timepoint="m6", today=TODAY))  # fmt: skip


@settings(max_examples=60)
@given(st.lists(st.tuples(nrs, nrs), min_size=0, max_size=25))
def test_excluding_synthetic_data_changes_nothing_on_a_registry_that_has_none(pairs):
    episodes, follow_ups, scores = _frames(pairs, [False] * len(pairs))
    kept, n = synthetic_scope(episodes, include_synthetic=False)
    everything, n_all = synthetic_scope(episodes, include_synthetic=True)
    assert n == n_all == 0
    assert _figures(kept, follow_ups, scores) == _figures(everything, follow_ups, scores)


@settings(max_examples=40)
@given(st.lists(st.tuples(nrs, nrs, st.booleans()), min_size=1, max_size=25))
def test_excluding_synthetic_data_equals_the_figures_of_the_real_patients_alone(rows):
    episodes, follow_ups, scores = _frames([(b, f) for b, f, _ in rows], [s for _, _, s in rows])
    kept, _ = synthetic_scope(episodes, include_synthetic=False)
    real = episodes[~episodes["is_synthetic"]]
    assert _figures(kept, follow_ups, scores) == _figures(real, follow_ups, scores)
    _, n = synthetic_scope(episodes, include_synthetic=True)
    assert n == episodes.loc[episodes["is_synthetic"], "patient_id"].nunique()


def test_the_label_names_the_number():
    assert synthetic_label(0) == ""
    assert synthetic_label(1) == "Includes 1 synthetic (made-up) patient"
    assert synthetic_label(1200) == "Includes 1,200 synthetic (made-up) patients"


def test_synthetic_patients_count_only_when_asked_and_then_say_so(persona, demo_site, tmp_path):
    synth_registry(site=demo_site, count=40, seed=13)
    researcher = persona("researcher")
    real = selectors.cohort_outcomes(actor=researcher, instrument="nrs", timepoint="m3", filters=CohortFilters())
    assert (real["n_expected"], real["synthetic_patients"], real["synthetic_label"]) == (0, 0, "")
    shown = selectors.cohort_outcomes(
        actor=researcher, instrument="nrs", timepoint="m3", filters=CohortFilters(), include_synthetic=True
    )
    assert shown["n_expected"] > 0 and shown["synthetic_label"] == "Includes 40 synthetic (made-up) patients"
    assert selectors.adverse_event_rates(actor=researcher)[-1]["procedures"] == 0
    assert selectors.reintervention_survival(actor=researcher).n == 0
    assert selectors.patient_flow(actor=researcher)[0].n == 0

    html = render_cohort_report_html(cohort_report_context(actor=researcher, include_synthetic=True))
    assert html.count("Includes 40 synthetic (made-up) patients") >= 4  # banner, every page, flow and charts
    assert "Synthetic (made-up) patients are left out" in render_cohort_report_html(
        cohort_report_context(actor=researcher)
    )

    physician = persona("physician")
    export_csv(actor=physician, out=tmp_path / "real")
    with (tmp_path / "real" / "patients.csv").open(newline="") as handle:
        assert list(csv.DictReader(handle)) == []
    export_csv(actor=physician, out=tmp_path / "all", include_synthetic=True)
    with (tmp_path / "all" / "scores.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["synthetic_patient"] == "true" for r in rows)
    assert "includes 40 synthetic" in (tmp_path / "all" / "SYNTHETIC_DATA.txt").read_text()


def test_the_dashboard_says_how_many_synthetic_patients_it_leaves_out(db, persona):
    from handregen.analytics.synthetic.writer import synth_registry
    from tests.conftest import verified_client

    physician = persona("physician")
    synth_registry(site=physician.site, count=12, seed=3)
    client = verified_client(physician)
    page = client.get("/analytics/").content.decode()
    assert "This site has 12 synthetic (made-up) patients, left out of every figure below." in page
    page = client.get("/analytics/", {"instrument": "nrs", "missing": "complete_case", "include_synthetic": "on"})
    assert "left out of every figure below" not in page.content.decode()
