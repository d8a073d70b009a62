"""Responder counts from the analytics API equal those recomputed from the CSV export's scores.csv."""

import csv

from handregen.analytics.synthetic.writer import synth_registry
from handregen.interop.csv_export import export_csv


def test_nrs_responders_at_six_months_match_the_exported_scores(demo_site, persona, api, tmp_path):
    synth_registry(site=demo_site, count=120, seed=5)
    body = (
        api("researcher")
        .get("/api/v1/analytics/outcomes", instrument="nrs", timepoint="m6", include_synthetic=True)
        .json()
    )
    assert body["synthetic_patients"] == 120 and body["synthetic_label"] == "Includes 120 synthetic (made-up) patients"
    api_rules = {r["rule"]: r for r in body["responders"]}
    export_csv(actor=persona("physician"), out=tmp_path, include_synthetic=True)
    scores: dict[tuple[str, str], float] = {}
    with (tmp_path / "scores.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["instrument"] == "nrs" and row["subscale"] == "" and row["cycle"] == "1":
                scores[(row["episode_id"], row["timepoint"])] = float(row["value"])
    pairs = [(scores[(e, "baseline")], v) for (e, t), v in scores.items() if t == "m6" and (e, "baseline") in scores]
    assert len(pairs) == body["n_assessed"] > 0
    two_points = sum(1 for base, follow in pairs if base - follow >= 2)
    thirty = sum(1 for base, follow in pairs if base > 0 and 100 * (base - follow) >= 30 * base)
    assert api_rules["nrs_2_points"]["n_responders"] == two_points
    assert api_rules["nrs_30_percent"]["n_responders"] == thirty
    assert api_rules["nrs_30_percent"]["denominator"] == sum(1 for base, _ in pairs if base > 0)
