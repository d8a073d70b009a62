"""What happened to similar past patients: the figure shown in the consent discussion (pure).

Matching starts strict (indication, stage, age band, sex, baseline pain band) and drops one criterion at a
time, least important first, until at least `min_n` past patients match. Below `min_n` even with the
loosest match, the answer says plainly that there are too few to tell.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from handregen.analytics.stats import proportion_ci

MIN_SIMILAR = 20
# Dropped in this order while too few match; indication is never dropped.
RELAX_ORDER = ("baseline_nrs_band", "sex", "age_band", "stage")


def age_band(age: int) -> str:
    """Ten-year bands, with everyone under 40 and everyone 80 or over together."""
    if age < 40:
        return "<40"
    if age >= 80:
        return "80+"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def nrs_band(nrs: float) -> str:
    """Baseline pain: mild (0-3), moderate (4-6), severe (7-10)."""
    return "0-3" if nrs < 4 else ("4-6" if nrs < 7 else "7-10")


@dataclass(frozen=True)
class Expectation:
    n_similar: int
    responder_share: float | None
    ci95: tuple[float, float] | None
    enough: bool
    criteria_used: list[str]
    rule: str
    timepoint: str
    message: str
    n_reintervention: int = 0
    reintervention_share: float | None = None
    caveats: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci95"] = list(self.ci95) if self.ci95 else None
        return data


CAVEATS = [
    "These are past patients of this clinic, not a trial: their improvement may partly be the natural course "
    "of the disease, regression to the mean or the effect of being treated at all.",
    "The only blinded trial of fat injection into the thumb base did not find fat alone better than saline.",
    "Patients who were not assessed at this time point are not counted; they may have done better or worse.",
]


def expectation_for(
    past: pd.DataFrame,
    *,
    indication: str,
    stage: str | None,
    age: int | None,
    sex: str | None,
    baseline_nrs: float | None,
    timepoint: str = "m6",
    rule: str = "nrs_30_percent",
    min_n: int = MIN_SIMILAR,
) -> Expectation:
    """The share of similar past patients who met `rule` at `timepoint`, with its exact 95% CI.

    `past` has one row per past patient assessed at `timepoint`: indication, stage, age_band, sex,
    baseline_nrs_band, responder (bool) and reintervention (bool).
    """
    wanted: dict[str, Any] = {"indication": indication}
    if stage:
        wanted["stage"] = stage
    if age is not None:
        wanted["age_band"] = age_band(age)
    if sex:
        wanted["sex"] = sex
    if baseline_nrs is not None:
        wanted["baseline_nrs_band"] = nrs_band(baseline_nrs)
    criteria = dict(wanted)
    relaxable = [c for c in RELAX_ORDER if c in criteria]
    while True:
        mask = pd.Series(True, index=past.index)
        for column, value in criteria.items():
            mask &= past[column] == value
        similar = past[mask]
        if len(similar) >= min_n or not relaxable:
            break
        criteria.pop(relaxable.pop(0))
    n = len(similar)
    used = [f"{k} = {v}" for k, v in criteria.items()]
    if n < min_n:
        return Expectation(
            n,
            None,
            None,
            False,
            used,
            rule,
            timepoint,
            f"Too few similar patients to tell: {n} past patient(s) match, fewer than {min_n}.",
            caveats=CAVEATS,
        )
    k = int(similar["responder"].sum())
    ci = proportion_ci(k, n)
    reinterventions = int(similar["reintervention"].sum())
    share = k / n
    assert ci.ci_low is not None and ci.ci_high is not None  # n >= min_n > 0
    message = (
        f"Of {n} similar past patients ({'; '.join(used)}), {k} ({share:.0%}) reached a meaningful "
        f"improvement in pain at {timepoint} (95% CI {ci.ci_low:.0%} to {ci.ci_high:.0%}). "
        "This describes what happened to them; it does not predict what will happen to you."
    )
    return Expectation(
        n,
        share,
        (float(ci.ci_low), float(ci.ci_high)),
        True,
        used,
        rule,
        timepoint,
        message,
        reinterventions,
        reinterventions / n,
        CAVEATS,
    )
