"""Table 1 (baseline characteristics of the treated episodes, all and split into completers and drop-outs at a main
time point) and the PGIC summary (pure: pandas and the statistics module, no Django)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from handregen.analytics.cohort import _paired, denominator_split, scheduled_follow_ups
from handregen.analytics.expectation import INDICATION_WORDS
from handregen.analytics.stats import proportion_ci

NONE = "\u2013"  # an en dash: nothing to show
PGIC_IMPROVED = 2  # 1 very much or 2 much improved (Farrar 2001; clinical-facts §1.8)
SOURCE_WORDS = {"adipose": "fat (adipose)", "bone_marrow": "bone marrow"}


def completers_and_dropouts(
    episodes: pd.DataFrame, follow_ups: pd.DataFrame, scores: pd.DataFrame, timepoint: str, today: date
) -> tuple[set[Any], set[Any]]:
    """Episodes assessed for pain at `timepoint` (completers) and those expected there but not assessed."""
    scheduled = scheduled_follow_ups(follow_ups, episodes, timepoint, "nrs")
    assessed = _paired(scores, "nrs", "", timepoint, pd.Index(scheduled["episode_id"].unique())).index
    expected, _, _ = denominator_split(scheduled, assessed, follow_ups, episodes, pd.Index([]), today)
    return set(assessed), set(expected) - set(assessed)


def baseline_table(
    episodes: pd.DataFrame, scores: pd.DataFrame, groups: dict[str, set[Any]]
) -> list[tuple[str, list[str]]]:
    """Rows of (characteristic, one cell per group) for the episodes of each group: numbers of episodes and
    patients, age, women, indication, stage, cell source, baseline pain (NRS) and function (QuickDASH)."""
    baseline = scores[(scores["timepoint"] == "baseline") & (scores["subscale"] == "")]
    rows: list[tuple[str, list[str]]] = []
    frames = {name: episodes[episodes["episode_id"].isin(ids)] for name, ids in groups.items()}

    def add(label: str, cell: Any) -> None:
        rows.append((label, [cell(frame) for frame in frames.values()]))

    add("Episodes (treated hands)", lambda f: str(len(f)))
    add("Patients", lambda f: str(f["patient_id"].nunique()))
    add("Age, years: mean (SD)", lambda f: _mean_sd(pd.to_numeric(f["age"], errors="coerce")))
    add("Women: n (%)", lambda f: _share(f["sex"] == "female"))
    for code, words in INDICATION_WORDS.items():
        add(f"{words.capitalize()}: n (%)", lambda f, c=code: _share(f["indication"] == c))
    for stage in sorted(s for s in set(episodes["stage"].dropna())):
        add(f"Stage {stage.replace('KL', 'Kellgren-Lawrence ')}: n (%)", lambda f, s=stage: _share(f["stage"] == s))
    for code, words in SOURCE_WORDS.items():
        add(f"Cell source {words}: n (%)", lambda f, c=code: _share(f["source"] == c))
    for instrument, label in (("nrs", "Pain (NRS 0-10)"), ("quickdash", "QuickDASH (0-100)")):
        values = baseline[baseline["instrument"] == instrument].drop_duplicates("episode_id").set_index("episode_id")
        add(f"{label} at baseline: mean (SD)", lambda f, v=values: _mean_sd(v["value"].reindex(f["episode_id"])))
    return rows


def pgic_summary(scores: pd.DataFrame, episode_ids: set[Any], timepoints: list[str]) -> list[dict[str, Any]]:
    """Per time point: how many answered the PGIC, how many said much or very much improved, with the exact CI."""
    chosen = (scores["instrument"] == "pgic") & (scores["subscale"] == "") & scores["episode_id"].isin(episode_ids)
    pgic = scores[chosen]
    rows = []
    for code in timepoints:
        answers = pgic.loc[pgic["timepoint"] == code].drop_duplicates("episode_id")["value"]
        k, n = int((answers <= PGIC_IMPROVED).sum()), len(answers)
        ci = proportion_ci(k, n)
        rows.append({
            "timepoint": code, "n": n, "improved": k, "share": ci.rate,
            "ci95": [ci.ci_low, ci.ci_high] if ci.ci_low is not None else None,
            "counts": {int(v): int((answers == v).sum()) for v in range(1, 8)},
        })  # fmt: skip
    return rows


def _mean_sd(values: pd.Series) -> str:
    values = values.dropna().astype(float)
    if not len(values):
        return NONE
    sd = f"{values.std(ddof=1):.1f}" if len(values) > 1 else NONE
    return f"{values.mean():.1f} ({sd}); n = {len(values)}"


def _share(flags: pd.Series) -> str:
    n = len(flags)
    k = int(flags.fillna(False).astype(bool).sum())
    return f"{k} ({100 * k / n:.0f}%)" if n else NONE
