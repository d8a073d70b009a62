"""Cohort outcome figures from the data frames (pure: pandas and the statistics module, no Django).

For one instrument and time point: how many were expected and assessed, the mean change from baseline with
its 95% CI, and responder rates by each applicable rule with exact CIs, complete-case or with non-assessed
patients counted as non-responders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from handregen.analytics.stats import mean_ci, responder_rate
from handregen.analytics.stats.responders import MissingRule
from handregen.outcomes.instruments import load_instrument
from handregen.outcomes.responders import (
    MCIDS,
    NRS_PERCENT,
    NRS_POINTS,
    OMERACT_OARSI_PHAM_2004,
    OmeractOarsiThresholds,
)

BASELINE = "baseline"
MISSING_RULES: tuple[MissingRule, ...] = ("complete_case", "non_responder")
RULE_LABELS = {
    "nrs_2_points": "pain at least 2 points lower",
    "nrs_30_percent": "pain at least 30% lower",
    "omeract_oarsi": "OMERACT-OARSI responder",
    "mcid": "improved by at least the minimal important difference",
}
SLACK = 1e-9


@dataclass(frozen=True)
class RuleRate:
    rule: str
    description: str
    n_responders: int
    n_assessed: int
    n_expected: int
    n_undefined: int  # assessed, but the rule cannot be applied (e.g. 30% of a baseline of 0)
    denominator: int
    rate: float | None
    ci95: list[float] | None
    missing: str
    assumption: str
    threshold: dict[str, Any] | None = None
    # Both missing-data rules side by side, whichever `missing` chose for `rate`: complete case (assessed with a
    # defined flag) and non-responder imputation (every expected patient; unassessed = not a responder).
    rate_complete_case: float | None = None
    ci95_complete_case: list[float] | None = None
    denominator_complete_case: int = 0
    rate_non_responder: float | None = None
    ci95_non_responder: list[float] | None = None
    denominator_non_responder: int = 0
    ci_method: str = "Clopper-Pearson (exact binomial)"
    label: str = ""  # the rule in words, for people


@dataclass(frozen=True)
class OutcomeFigures:
    instrument: str
    subscale: str
    timepoint: str
    n_expected: int
    n_assessed: int
    n_not_assessed: int
    mean_baseline: float | None
    mean_follow_up: float | None
    mean_change: float | None
    ci95: list[float] | None
    higher_is_worse: bool
    responders: list[RuleRate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Why expected patients were not assessed (windows closed): dropped out, missed visit, withdrew, no baseline.
    not_assessed: dict[str, int] = field(default_factory=dict)
    n_window_open: int = 0  # due now, window still open, not yet assessed: not counted as expected
    scheduled: bool = True  # the protocol schedules this measure at this time point
    ci_method: str = "t distribution (mean change)"
    # Where a patient contributes more than one episode (two hands): the mean change's interval clustered by patient
    # (cluster-robust sandwich variance, t with clusters - 1 degrees of freedom); None when every patient has one.
    n_patients: int | None = None
    ci95_cluster_robust: list[float] | None = None


def scheduled_follow_ups(
    follow_ups: pd.DataFrame, episodes: pd.DataFrame, timepoint: str, instrument: str
) -> pd.DataFrame:
    """The episodes' current follow-ups at `timepoint` whose schedule lists `instrument` (a frame without an
    `instruments` column schedules every measure)."""
    rows = follow_ups[
        (follow_ups["timepoint"] == timepoint)
        & follow_ups["superseded_at"].isna()
        & follow_ups["episode_id"].isin(episodes["episode_id"])
    ]
    if "instruments" in rows:
        listed = pd.Series([instrument in (names or ()) for names in rows["instruments"]], index=rows.index, dtype=bool)
        rows = rows[listed]
    return rows.drop_duplicates("episode_id")


def expected_episodes(follow_ups: pd.DataFrame, episodes: pd.DataFrame, timepoint: str, today: date) -> pd.Index:
    """Episodes whose window for `timepoint` has opened or that were seen (candidates for assessment)."""
    rows = follow_ups[
        (follow_ups["timepoint"] == timepoint)
        & follow_ups["superseded_at"].isna()
        & follow_ups["episode_id"].isin(episodes["episode_id"])
    ]
    opened = rows["due_from"].notna() & (rows["due_from"] <= today)
    return pd.Index(rows.loc[opened | rows["completed_at"].notna(), "episode_id"].unique())


def denominator_split(
    scheduled: pd.DataFrame,
    assessed: pd.Index,
    follow_ups: pd.DataFrame,
    episodes: pd.DataFrame,
    scored_without_baseline: pd.Index,
    today: date,
) -> tuple[pd.Index, dict[str, int], int]:
    """(expected episodes, why the expected but unassessed were not assessed, windows still open).

    Expected = assessed (a baseline and a follow-up score), plus every scheduled follow-up whose window has
    closed (due_until before `today`). Of the closed and unassessed: "withdrew" (episode withdrawn), "no baseline
    score" (scored at the time point, baseline missing), "missed visit" (a later follow-up of the episode was
    completed), else "dropped out" (not seen again). A window still open counts neither as expected nor as missing.
    """
    unassessed = scheduled[~scheduled["episode_id"].isin(assessed)]
    closed = unassessed["due_until"].notna() & (pd.to_datetime(unassessed["due_until"]) < pd.Timestamp(today))
    opened = unassessed["due_from"].notna() & (pd.to_datetime(unassessed["due_from"]) <= pd.Timestamp(today))
    n_open = int((opened & ~closed).sum())
    missing = unassessed[closed]
    completed = follow_ups[follow_ups["completed_at"].notna() & follow_ups["superseded_at"].isna()]
    last_seen = completed.groupby("episode_id")["days"].max().to_dict()
    stage_now = episodes["stage_now"] if "stage_now" in episodes else pd.Series(None, index=episodes.index)
    withdrawn = set(episodes.loc[stage_now == "withdrawn", "episode_id"])
    no_baseline = set(scored_without_baseline)
    reasons: dict[str, int] = {}
    for episode_id, days in zip(missing["episode_id"], missing["days"], strict=True):
        seen = last_seen.get(episode_id)
        if episode_id in withdrawn:
            reason = "withdrew"
        elif episode_id in no_baseline:
            reason = "no baseline score"
        elif seen is not None and not pd.isna(seen) and days is not None and seen > days:
            reason = "missed visit"
        else:
            reason = "dropped out"
        reasons[reason] = reasons.get(reason, 0) + 1
    expected = pd.Index(assessed).union(pd.Index(missing["episode_id"].unique()))
    return expected, reasons, n_open


def _scored_without_baseline(
    scores: pd.DataFrame, instrument: str, subscale: str, timepoint: str, candidates: pd.Index
) -> pd.Index:
    """Episodes with a score at `timepoint` but none at baseline (for this measure)."""
    chosen = scores[(scores["instrument"] == instrument) & (scores["subscale"] == subscale)]
    chosen = chosen[chosen["episode_id"].isin(candidates)]
    at = set(chosen.loc[chosen["timepoint"] == timepoint, "episode_id"])
    base = set(chosen.loc[chosen["timepoint"] == BASELINE, "episode_id"])
    return pd.Index(sorted(at - base, key=str))


def _paired(scores: pd.DataFrame, instrument: str, subscale: str, timepoint: str, expected: pd.Index) -> pd.DataFrame:
    """Baseline and `timepoint` values side by side for the expected episodes that have both."""
    chosen = scores[(scores["instrument"] == instrument) & (scores["subscale"] == subscale)]
    chosen = chosen[chosen["episode_id"].isin(expected)]  # after the cheap filters: fewer ids to look up
    base = chosen[chosen["timepoint"] == BASELINE].drop_duplicates("episode_id").set_index("episode_id")["value"]
    follow = chosen[chosen["timepoint"] == timepoint].drop_duplicates("episode_id").set_index("episode_id")["value"]
    return pd.DataFrame({"baseline": base, "follow_up": follow}).dropna().astype(float)


def _improvement(paired: pd.DataFrame, higher_is_worse: bool) -> pd.Series:
    diff = paired["baseline"] - paired["follow_up"]
    return diff if higher_is_worse else -diff


def _rate(
    rule: str,
    description: str,
    flags: list[bool | None],
    n_expected: int,
    missing: str,
    threshold: dict[str, Any] | None = None,
) -> RuleRate:
    result = responder_rate(flags, n_expected, missing=missing)  # type: ignore[arg-type]
    ci = [result.ci_low, result.ci_high] if result.ci_low is not None and result.ci_high is not None else None
    both = {name: responder_rate(flags, n_expected, missing=name) for name in MISSING_RULES}
    side = {
        f"{key}_{name}": value
        for name, r in both.items()
        for key, value in (
            ("rate", r.rate),
            ("ci95", [r.ci_low, r.ci_high] if r.ci_low is not None and r.ci_high is not None else None),
            ("denominator", r.denominator),
        )
    }
    return RuleRate(
        **side,  # type: ignore[arg-type]
        label=RULE_LABELS.get(rule, rule),
        rule=rule,
        description=description,
        n_responders=result.n_responders,
        n_assessed=result.n_assessed,
        n_expected=result.n_expected,
        n_undefined=result.n_undefined,
        denominator=result.denominator,
        rate=result.rate,
        ci95=ci,
        missing=missing,
        assumption=result.assumption,
        threshold=threshold,
    )


def outcome_figures(
    *,
    scores: pd.DataFrame,
    episodes: pd.DataFrame,
    follow_ups: pd.DataFrame,
    instrument: str,
    timepoint: str,
    today: date,
    subscale: str = "",
    missing: str = "complete_case",
) -> OutcomeFigures:
    """The figures for `instrument` (and `subscale`) at `timepoint` over the episodes given."""
    definition = load_instrument(instrument)
    higher_is_worse = definition.higher_is_worse
    if subscale:
        match = [s for s in definition.subscales if s.code == subscale]
        if not match:
            raise ValueError(f"{instrument} has no subscale {subscale!r}")
        higher_is_worse = match[0].higher_is_worse
    scheduled = scheduled_follow_ups(follow_ups, episodes, timepoint, instrument)
    candidates = pd.Index(scheduled["episode_id"].unique())
    paired = _paired(scores, instrument, subscale, timepoint, candidates)
    expected, not_assessed, n_open = denominator_split(
        scheduled, paired.index, follow_ups, episodes, _scored_without_baseline(scores, instrument, subscale,
                                                                                timepoint, candidates), today
    )  # fmt: skip
    n_expected = len(expected)
    change = (paired["follow_up"] - paired["baseline"]).to_numpy(dtype=float)
    ci = mean_ci(change)
    notes = [
        "Change is follow-up minus baseline; for this measure a "
        f"{'decrease' if higher_is_worse else 'increase'} is an improvement.",
        "Before-after change is not proof that the treatment caused it: there is no control group.",
    ]
    rules: list[RuleRate] = []
    improvement = _improvement(paired, higher_is_worse)
    if instrument == "nrs" and not subscale:
        base = paired["baseline"]
        two = (improvement >= NRS_POINTS - SLACK).tolist()
        meets = (100 * improvement >= NRS_PERCENT * base - SLACK).to_numpy()
        thirty: list[bool | None] = [None if b == 0 else bool(m) for b, m in zip(base.to_numpy(), meets, strict=True)]
        rules.append(
            _rate(
                "nrs_2_points",
                "pain decreased by at least 2 points (Farrar 2001)",
                two,
                n_expected,
                missing,
                {"points": NRS_POINTS},
            )
        )
        rules.append(
            _rate(
                "nrs_30_percent",
                "pain decreased by at least 30% (Farrar 2001); undefined at baseline 0",
                thirty,
                n_expected,
                missing,
                {"percent": NRS_PERCENT},
            )
        )
        function_scheduled = scheduled_follow_ups(follow_ups, episodes, timepoint, "quickdash")
        if len(function_scheduled) or not len(scheduled):
            rules.append(_omeract(scores, timepoint, expected, n_expected, missing))
        else:
            notes.append(
                "OMERACT-OARSI needs the function score (QuickDASH), which is not scheduled at this time point."
            )
    if instrument in MCIDS and not subscale:
        mcid = MCIDS[instrument]
        flags = (improvement >= mcid.value - SLACK).tolist()
        rules.append(
            _rate(
                "mcid",
                f"improved by at least the MCID of {mcid.value:g} points",
                flags,
                n_expected,
                missing,
                {"value": mcid.value, "range": [mcid.low, mcid.high], "source": mcid.source},
            )
        )
    if not rules:
        notes.append("No responder rule is defined for this measure.")
    return OutcomeFigures(
        instrument=instrument,
        subscale=subscale,
        timepoint=timepoint,
        n_expected=n_expected,
        n_assessed=len(paired),
        n_not_assessed=n_expected - len(paired),
        mean_baseline=_mean(paired["baseline"]),
        mean_follow_up=_mean(paired["follow_up"]),
        mean_change=ci.mean,
        ci95=[ci.ci_low, ci.ci_high] if ci.ci_low is not None else None,  # type: ignore[list-item]
        higher_is_worse=higher_is_worse,
        responders=rules,
        notes=notes,
        not_assessed=not_assessed,
        n_window_open=n_open,
        **_clustered(change, paired.index, episodes),
        scheduled=bool(len(scheduled)) or not len(follow_ups),
    )


def _clustered(change: np.ndarray, episode_ids: pd.Index, episodes: pd.DataFrame) -> dict[str, Any]:
    """The number of patients and, where one patient has several episodes, the cluster-robust 95% interval."""
    if "patient_id" not in episodes or not len(change):
        return {}
    patients = episodes.drop_duplicates("episode_id").set_index("episode_id")["patient_id"].reindex(episode_ids)
    return {"n_patients": int(patients.nunique()), "ci95_cluster_robust": cluster_robust_mean_ci(change, patients)}


def cluster_robust_mean_ci(values: np.ndarray, clusters: pd.Series, level: float = 0.95) -> list[float] | None:
    """The mean's interval with a cluster-robust (CR1 sandwich) standard error and t(G - 1) quantiles, as
    statsmodels' OLS with cov_type="cluster" gives it; None when no cluster has two values or G < 2."""
    counts = pd.Series(clusters).value_counts()
    if len(counts) < 2 or counts.max() < 2:
        return None
    import statsmodels.api as sm

    codes = pd.factorize(pd.Series(clusters).astype(str))[0]
    fit = sm.OLS(np.asarray(values, dtype=float), np.ones(len(values))).fit(
        cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True}, use_t=True
    )
    low, high = fit.conf_int(alpha=1 - level)[0]
    return [float(low), float(high)]


def _mean(values: pd.Series) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _omeract(scores: pd.DataFrame, timepoint: str, expected: pd.Index, n_expected: int, missing: str) -> RuleRate:
    """OMERACT-OARSI with pain = NRS x 10 and function = QuickDASH (both 0-100, higher worse) at the same visit;
    the patient global is not collected, so it follows the rule's stated choice (not improved by default)."""
    pain = _paired(scores, "nrs", "", timepoint, expected) * 10
    function = _paired(scores, "quickdash", "", timepoint, expected).reindex(pain.index)
    flags = omeract_oarsi_flags(pain, function)
    return _rate(
        "omeract_oarsi",
        "OMERACT-OARSI responder (Pham 2004; pain = NRS x 10, function = QuickDASH at the same visit; "
        "patient global not measured, counted as not improved)",
        flags,
        n_expected,
        missing,
        {"thresholds": OMERACT_OARSI_PHAM_2004.as_dict(), "pain": "NRS x 10", "function": "QuickDASH"},
    )


def omeract_oarsi_flags(
    pain: pd.DataFrame, function: pd.DataFrame, thresholds: OmeractOarsiThresholds = OMERACT_OARSI_PHAM_2004
) -> list[bool | None]:
    """`outcomes.responders.omeract_oarsi_responder(..., patient_global_measured=False)` over whole columns
    (baseline, follow_up; NaN = missing), row by row the same decision: pandas' nullable booleans follow the
    same three-valued logic. A row is undefined (None) only when pain or function is missing and could tip it."""
    pain_high, pain_moderate = _omeract_domain(pain, thresholds)
    function_high, function_moderate = _omeract_domain(function, thresholds)
    high = pain_high | function_high  # Kleene OR: True if either is, unknown if either is unknown
    met = pain_moderate.fillna(False).astype(int) + function_moderate.fillna(False).astype(int)
    unknown = pain_moderate.isna().astype(int) + function_moderate.isna().astype(int)
    if thresholds.patient_global_not_measured == "unknown":
        unknown = unknown + 1
    moderate = pd.Series(pd.NA, index=pain.index, dtype="boolean")
    moderate[met >= thresholds.moderate_domains] = True
    moderate[met + unknown < thresholds.moderate_domains] = False
    decided = high | moderate
    return [None if pd.isna(v) else bool(v) for v in decided]


def _omeract_domain(pair: pd.DataFrame, limits: OmeractOarsiThresholds) -> tuple[pd.Series, pd.Series]:
    """(high, moderate) criterion per row; unknown without both values, False at a baseline of 0."""
    base, follow = pair["baseline"], pair["follow_up"]
    points = base - follow
    percent = 100 * points / base.where(base != 0)
    high = (percent >= limits.high_percent - SLACK) & (points >= limits.high_points - SLACK)
    moderate = (percent >= limits.moderate_percent - SLACK) & (points >= limits.moderate_points - SLACK)
    known = base.notna() & follow.notna()
    return _nullable(high, known), _nullable(moderate, known)


def _nullable(flags: pd.Series, known: pd.Series) -> pd.Series:
    return flags.astype("boolean").mask(~known, pd.NA)
