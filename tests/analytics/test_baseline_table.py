"""Table 1 with completers beside drop-outs, and the PGIC summary."""

from datetime import date

import pandas as pd
import pytest

from handregen.analytics.baseline_table import baseline_table, completers_and_dropouts, pgic_summary

TODAY = date(2026, 11, 28)


def _data():
    episodes = pd.DataFrame({
        "episode_id": ["a", "b", "c", "d"], "patient_id": ["p1", "p1", "p2", "p3"], "age": [60, 60, 70, 50],
        "sex": ["female", "female", "male", "female"], "indication": ["thumb_cmc_oa"] * 3 + ["wrist_oa"],
        "stage": ["II", "III", "II", "KL2"], "source": ["adipose", "adipose", "bone_marrow", "adipose"],
        "stage_now": ["follow_up"] * 4,
    })  # fmt: skip
    follow_ups = pd.DataFrame({
        "episode_id": ["a", "b", "c", "d"], "timepoint": "m6", "days": 182, "due_from": date(2026, 1, 1),
        "due_until": date(2026, 2, 1), "completed_at": None, "superseded_at": None,
    })  # fmt: skip
    rows = [("a", "baseline", "nrs", "", 7), ("a", "m6", "nrs", "", 3), ("b", "baseline", "nrs", "", 6),
            ("b", "m6", "nrs", "", 5), ("c", "baseline", "nrs", "", 8), ("d", "baseline", "nrs", "", 4),
            ("a", "m6", "pgic", "", 1), ("b", "m6", "pgic", "", 2), ("c", "m6", "pgic", "", 4)]  # fmt: skip
    scores = pd.DataFrame(rows, columns=["episode_id", "timepoint", "instrument", "subscale", "value"])
    return episodes, follow_ups, scores


def test_completers_and_dropouts_are_split_and_described_side_by_side():
    episodes, follow_ups, scores = _data()
    completers, dropouts = completers_and_dropouts(episodes, follow_ups, scores, "m6", TODAY)
    assert (completers, dropouts) == ({"a", "b"}, {"c", "d"})
    table = dict(baseline_table(episodes, scores, {"all": {"a", "b", "c", "d"}, "in": completers, "out": dropouts}))
    assert table["Episodes (treated hands)"] == ["4", "2", "2"]
    assert table["Patients"] == ["3", "1", "2"]
    assert table["Women: n (%)"] == ["3 (75%)", "2 (100%)", "1 (50%)"]
    assert table["Pain (NRS 0-10) at baseline: mean (SD)"][1] == "6.5 (0.7); n = 2"
    assert table["Stage Kellgren-Lawrence 2: n (%)"] == ["1 (25%)", "0 (0%)", "1 (50%)"]


def test_pgic_counts_much_or_very_much_improved_with_an_exact_interval():
    _, _, scores = _data()
    (row,) = pgic_summary(scores, {"a", "b", "c", "d"}, ["m6"])
    assert (row["n"], row["improved"]) == (3, 2) and row["share"] == pytest.approx(2 / 3)
    assert row["counts"][1] == 1 and row["counts"][4] == 1
    assert row["ci95"][0] < 2 / 3 < row["ci95"][1]
