"""Every figure of the outcomes endpoint, recomputed from the CSV export alone with pandas, scipy and statsmodels
(never handregen's statistics code), on a synthetic registry with bilateral patients and drop-outs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from django.utils import timezone
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from handregen.analytics.synthetic.writer import synth_registry
from handregen.interop.csv_export import export_csv

TIMEPOINTS = ("w2", "w6", "m3", "m6", "m12")
MCID = {"nrs": 2.0, "quickdash": 14.0}  # Farrar 2001; Sorensen 2013 (clinical-facts §2)


def _read(out, name):
    return pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)


def _frames(out):
    episodes = _read(out, "episodes")
    follow_ups = _read(out, "follow_ups")
    follow_ups = follow_ups[(follow_ups["cycle"] == "1") & (follow_ups["superseded_at"] == "")]
    scores = _read(out, "scores")
    scores = scores[(scores["cycle"] == "1") & (scores["subscale"] == "")]
    side = episodes.set_index("episode_id")["side"]
    scores = scores[(scores["hand"] == "") | (scores["hand"] == scores["episode_id"].map(side))]
    scores = scores.assign(value=scores["value"].astype(float))
    return episodes, follow_ups, scores


def recompute(out, instrument, timepoint, today):
    """The figures as the methods section defines them, from the export only."""
    episodes, follow_ups, scores = _frames(out)
    due = follow_ups[follow_ups["timepoint"] == timepoint]
    due = due[[instrument in listed.split() for listed in due["instruments"]]].drop_duplicates("episode_id")
    values = scores[scores["instrument"] == instrument].drop_duplicates(["episode_id", "timepoint"])
    wide = values.pivot(index="episode_id", columns="timepoint", values="value")
    pairs = wide.reindex(columns=["baseline", timepoint]).dropna().loc[lambda w: w.index.isin(due["episode_id"])]
    pairs.columns = ["baseline", "follow_up"]
    closed = due[(due["due_until"] != "") & (pd.to_datetime(due["due_until"]).dt.date < today)]
    missing = closed[~closed["episode_id"].isin(pairs.index)]
    opened = due[(due["due_from"] != "") & (pd.to_datetime(due["due_from"]).dt.date <= today)]
    window_open = opened[~opened["episode_id"].isin(pairs.index) & ~opened["episode_id"].isin(closed["episode_id"])]
    completed = follow_ups[follow_ups["completed_at"] != ""]
    last_seen = completed.assign(days=pd.to_numeric(completed["days"])).groupby("episode_id")["days"].max()
    withdrawn = set(episodes.loc[episodes["stage"] == "withdrawn", "episode_id"])
    seen_at = set(values.loc[values["timepoint"] == timepoint, "episode_id"])
    baseline = set(values.loc[values["timepoint"] == "baseline", "episode_id"])
    reasons: dict[str, int] = {}
    for episode_id, days in zip(missing["episode_id"], missing["days"], strict=True):
        if episode_id in withdrawn:
            why = "withdrew"
        elif episode_id in seen_at and episode_id not in baseline:
            why = "no baseline score"
        elif last_seen.get(episode_id, -1) > float(days):
            why = "missed visit"
        else:
            why = "dropped out"
        reasons[why] = reasons.get(why, 0) + 1
    n_expected = len(pairs) + len(missing)
    change = pairs["follow_up"] - pairs["baseline"]
    figures = {
        "n_expected": n_expected,
        "n_assessed": len(pairs),
        "not_assessed": reasons,
        "n_window_open": len(window_open),
        "mean_change": float(change.mean()) if len(change) else None,
    }
    patient = episodes.set_index("episode_id")["patient_id"].reindex(pairs.index)
    figures["n_patients"] = int(patient.nunique()) if len(pairs) else None
    if len(pairs) and patient.value_counts().max() > 1:
        fit = sm.OLS(change.to_numpy(), np.ones(len(change))).fit(
            cov_type="cluster", cov_kwds={"groups": pd.factorize(patient)[0]}, use_t=True
        )
        figures["ci95_cluster_robust"] = list(fit.conf_int()[0])
    if len(change) >= 2:
        half = stats.t.ppf(0.975, len(change) - 1) * change.std(ddof=1) / math.sqrt(len(change))
        figures["ci95"] = [change.mean() - half, change.mean() + half]
    improvement = pairs["baseline"] - pairs["follow_up"]
    rules = {"mcid": [bool(x) for x in improvement >= MCID[instrument] - 1e-9]}
    if instrument == "nrs":
        rules["nrs_2_points"] = [bool(x) for x in improvement >= 2 - 1e-9]
        rules["nrs_30_percent"] = [
            None if b == 0 else bool(100 * i >= 30 * b - 1e-9)
            for b, i in zip(pairs["baseline"], improvement, strict=True)
        ]
        function_due = follow_ups[(follow_ups["timepoint"] == timepoint)]
        if any("quickdash" in listed.split() for listed in function_due["instruments"]):
            rules["omeract_oarsi"] = omeract(pairs * 10, scores, timepoint)
    figures["rules"] = {name: rates(flags, n_expected) for name, flags in rules.items()}
    return figures


def omeract(pain, scores, timepoint):
    """Pham 2004 with pain = NRS x 10 and function = QuickDASH; no patient global (counted as not improved)."""
    qd = scores[scores["instrument"] == "quickdash"].drop_duplicates(["episode_id", "timepoint"])
    qd = qd.pivot(index="episode_id", columns="timepoint", values="value").reindex(columns=["baseline", timepoint])
    function = qd.reindex(pain.index)
    flags = []
    for episode_id, (pb, pf) in pain.iterrows():
        fb, ff = function.loc[episode_id]
        domains = []
        for b, f in ((pb, pf), (fb, ff)):
            if pd.isna(b) or pd.isna(f):
                domains.append((None, None))
            elif b == 0:
                domains.append((False, False))
            else:
                points, pct = b - f, 100 * (b - f) / b
                domains.append((pct >= 50 - 1e-9 and points >= 20 - 1e-9, pct >= 20 - 1e-9 and points >= 10 - 1e-9))
        high = [h for h, _ in domains]
        moderate = [m for _, m in domains]
        if True in high or moderate.count(True) == 2:
            flags.append(True)
        elif None in high or None in moderate:
            flags.append(None)
        else:
            flags.append(False)
    return flags


def rates(flags, n_expected):
    k = sum(1 for f in flags if f is True)
    defined = sum(1 for f in flags if f is not None)
    out = {"n_responders": k, "n_undefined": len(flags) - defined}
    for name, n in (("complete_case", defined), ("non_responder", n_expected)):
        out[f"rate_{name}"] = k / n if n else None
        out[f"ci95_{name}"] = list(proportion_confint(k, n, alpha=0.05, method="beta")) if n else None
        out[f"denominator_{name}"] = n
    return out


def test_the_outcomes_endpoint_matches_an_independent_recomputation_from_the_csv_export(
    demo_site, persona, api, tmp_path
):
    synth_registry(site=demo_site, count=120, seed=13)
    export_csv(actor=persona("physician"), out=tmp_path, include_synthetic=True)
    today = timezone.localdate()
    episodes = _read(tmp_path, "episodes")
    assert episodes["patient_id"].duplicated().any(), "the registry has bilateral patients"
    client = api("researcher")
    checked = clustered = 0
    for instrument in ("nrs", "quickdash"):
        for timepoint in TIMEPOINTS:
            body = client.get(
                "/api/v1/analytics/outcomes", instrument=instrument, timepoint=timepoint, include_synthetic=True
            ).json()
            mine = recompute(tmp_path, instrument, timepoint, today)
            where = (instrument, timepoint)
            assert body["n_expected"] == mine["n_expected"], where
            assert body["n_assessed"] == mine["n_assessed"], where
            assert body["not_assessed"] == mine["not_assessed"], where
            assert body["n_window_open"] == mine["n_window_open"], where
            if mine["mean_change"] is not None:
                assert body["mean_change"] == pytest.approx(mine["mean_change"], abs=1e-9)
            if "ci95" in mine:
                assert body["ci95"] == pytest.approx(mine["ci95"], abs=1e-9)
            if mine["n_patients"] is not None:
                assert body["n_patients"] == mine["n_patients"], where
            if "ci95_cluster_robust" in mine:
                assert body["ci95_cluster_robust"] == pytest.approx(mine["ci95_cluster_robust"], abs=1e-9)
                clustered += 1
            api_rules = {r["rule"]: r for r in body["responders"]}
            assert set(api_rules) == set(mine["rules"]), where
            for name, expected in mine["rules"].items():
                got = api_rules[name]
                for key, value in expected.items():
                    if value is None or isinstance(value, int):
                        assert got[key] == value, (*where, name, key)
                    else:
                        assert got[key] == pytest.approx(value, abs=1e-9), (*where, name, key)
                if expected["rate_complete_case"] is not None:
                    low, high = got["ci95_complete_case"]
                    assert 0 <= low <= got["rate_complete_case"] <= high <= 1
                checked += 1
    assert checked >= 20 and clustered >= 1, "some time points have a patient with two treated hands"


def test_survival_and_adverse_events_match_an_independent_recomputation_from_the_csv_export(
    demo_site, persona, tmp_path
):
    from lifelines import KaplanMeierFitter

    from handregen.analytics import selectors

    synth_registry(site=demo_site, count=120, seed=13)
    export_csv(actor=persona("physician"), out=tmp_path, include_synthetic=True)
    researcher = persona("researcher")
    zone = timezone.get_current_timezone()

    def local_day(texts):
        return pd.to_datetime(texts, utc=True, format="ISO8601").dt.tz_convert(zone).dt.date

    injections = _read(tmp_path, "injections")
    first = injections[injections["cycle"] == "1"].drop_duplicates("episode_id").set_index("episode_id")
    start = local_day(first["performed_at"])
    redo = _read(tmp_path, "reinterventions").sort_values("performed_on").drop_duplicates("episode_id")
    event_on = pd.to_datetime(redo.set_index("episode_id")["performed_on"]).dt.date
    follow_ups = _read(tmp_path, "follow_ups")
    seen = follow_ups[follow_ups["completed_at"] != ""]
    contacts = pd.concat([
        pd.Series(local_day(seen["completed_at"]).to_numpy(), index=seen["episode_id"]),
        (lambda ae: pd.Series(pd.to_datetime(ae["onset_date"]).dt.date.to_numpy(), index=ae["episode_id"]))(
            _read(tmp_path, "adverse_events")
        ),
    ])  # fmt: skip
    last = contacts.groupby(level=0).max()
    days, events = [], []
    for episode_id, begun in start.items():
        end = event_on.get(episode_id) or max(begun, last.get(episode_id, begun))
        days.append(max(0, (end - begun).days))
        events.append(episode_id in event_on.index)
    fitter = KaplanMeierFitter().fit(days, events)
    ours = selectors.reintervention_survival(actor=researcher, include_synthetic=True)
    assert (ours.n, ours.n_events) == (len(days), sum(events)) and ours.n_events > 0
    for point in ours.points:
        if point.survival is not None:
            assert point.survival == pytest.approx(float(fitter.predict(point.day)), abs=1e-9)
        else:
            assert point.day > max(days)

    adverse = _read(tmp_path, "adverse_events")
    harvest_site = adverse["term"] == "harvest_site_haematoma"
    rows = {r["label"]: r for r in selectors.adverse_event_rates(actor=researcher, include_synthetic=True)}
    every = rows["every event (procedure-site events over injections)"]
    assert every["procedures"] == len(injections)
    assert every["events"] == int((~harvest_site).sum())
    assert every["with_event"] == adverse[~harvest_site].drop_duplicates(["episode_id", "cycle"]).shape[0]
    low = stats.chi2.ppf(0.025, 2 * every["events"]) / 2 / len(injections) * 100
    assert every["events_ci95"][0] == pytest.approx(low)
    assert rows["every harvest-site event"]["events"] == int(harvest_site.sum())
