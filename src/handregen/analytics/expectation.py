"""What happened to similar past patients: the figure shown in the consent discussion (pure).

Matching has a fixed core that is never relaxed: the same indication, the same stage band and the same baseline
pain band (baseline pain matters most for a 30% rule: regression to the mean). Optional criteria (sex, then age
band, in `RELAX_ORDER`) are dropped one at a time, only while fewer than `min_n` match. When the core itself has
fewer than `min_n` past patients, the answer is "too few similar patients to tell". The number matching every
criterion (the strict match) is always reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from handregen.analytics.stats import proportion_ci

MIN_SIMILAR = 20
CORE = ("indication", "stage_band", "baseline_nrs_band")
# Optional criteria, dropped in this order while too few match (sex is thought to matter less than age here).
RELAX_ORDER = ("sex", "age_band")

# The stages that exist for each indication: Eaton-Littler for the thumb base (Kellgren-Lawrence also accepted
# there, as imaging may give only a KL grade), Kellgren-Lawrence elsewhere (clinical-facts §3.1, §3.2).
KL_STAGES = ("KL0", "KL1", "KL2", "KL3", "KL4")
STAGES_FOR = {
    "thumb_cmc_oa": ("I", "II", "III", "IV", *KL_STAGES),
    "finger_oa": KL_STAGES,
    "wrist_oa": KL_STAGES,
}
# Early and advanced disease in each classification; the bands keep the two systems apart.
STAGE_BANDS = {
    "I": "Eaton-Littler I-II", "II": "Eaton-Littler I-II", "III": "Eaton-Littler III-IV", "IV": "Eaton-Littler III-IV",
    "KL0": "Kellgren-Lawrence 0-2", "KL1": "Kellgren-Lawrence 0-2", "KL2": "Kellgren-Lawrence 0-2",
    "KL3": "Kellgren-Lawrence 3-4", "KL4": "Kellgren-Lawrence 3-4",
}  # fmt: skip
INDICATION_WORDS = {
    "thumb_cmc_oa": "thumb base osteoarthritis",
    "finger_oa": "finger joint osteoarthritis",
    "wrist_oa": "wrist osteoarthritis",
}


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


def stage_band(stage: str | None) -> str | None:
    """Early or advanced disease in the stage's own classification (None for an unknown stage)."""
    return STAGE_BANDS.get(stage) if stage else None


def stage_refusal(indication: str, stage: str | None) -> str | None:
    """Why `stage` cannot be the stage of `indication` (None when it can, or when no stage is given)."""
    if stage is None or stage in STAGES_FOR.get(indication, ()):
        return None
    allowed = ", ".join(STAGES_FOR.get(indication, ()))
    return f"stage {stage} does not exist for this indication; use one of {allowed}"


@dataclass(frozen=True)
class Expectation:
    n_similar: int  # the past patients the figure is computed from (core plus the optional criteria kept)
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
    n_strict: int = 0  # matching every criterion given: core and all optional ones
    n_core: int = 0  # matching the core alone
    relaxed: list[str] = field(default_factory=list)  # optional criteria dropped, in the order dropped
    min_n: int = MIN_SIMILAR
    synthetic_patients: int = 0

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


def _words(column: str, value: str) -> str:
    shown = {
        "indication": lambda v: f"condition: {INDICATION_WORDS.get(v, v)}",
        "stage_band": lambda v: f"stage: {v}",
        "baseline_nrs_band": lambda v: f"pain before treatment: {v} out of 10",
        "sex": lambda v: f"sex: {v}",
        "age_band": lambda v: f"age: {v}",
    }
    return shown[column](value)


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
    baseline_nrs_band, responder (bool), reintervention (bool) and optionally is_synthetic (bool).
    """
    band = stage_band(stage)
    core = {"indication": indication, "stage_band": band, "baseline_nrs_band": None}
    if baseline_nrs is not None:
        core["baseline_nrs_band"] = nrs_band(baseline_nrs)
    optional: dict[str, Any] = {}
    if sex:
        optional["sex"] = sex
    if age is not None:
        optional["age_band"] = age_band(age)
    past = past.assign(stage_band=[stage_band(s) for s in past["stage"]]) if len(past) else past.assign(stage_band=[])

    def matching(criteria: dict[str, Any]) -> pd.DataFrame:
        mask = pd.Series(True, index=past.index)
        for column, value in criteria.items():
            mask &= past[column] == value
        return past[mask]

    missing_core = [name for name, value in (("stage", band), ("pain before treatment", core["baseline_nrs_band"]))
                    if value is None]  # fmt: skip
    core_matches = matching(core) if not missing_core else past.iloc[0:0]
    n_core = len(core_matches)
    n_strict = len(matching(core | optional)) if not missing_core else 0
    kept = dict(optional)
    relaxed: list[str] = []
    similar = matching(core | kept) if not missing_core else core_matches
    for name in RELAX_ORDER:
        if len(similar) >= min_n or name not in kept:
            continue
        kept.pop(name)
        relaxed.append(name)
        similar = matching(core | kept)
    used = [_words(k, v) for k, v in (core | kept).items() if v is not None]
    n = len(similar)
    n_synthetic = int(similar["is_synthetic"].sum()) if "is_synthetic" in similar else 0
    counts: dict[str, Any] = {"n_strict": n_strict, "n_core": n_core, "relaxed": relaxed, "min_n": min_n,
              "synthetic_patients": n_synthetic}  # fmt: skip
    synthetic_words = f" Includes {n_synthetic} synthetic (made-up) patients." if n_synthetic else ""
    if missing_core or n_core < min_n:
        why = (
            f"the {' and the '.join(missing_core)} must be known to find similar patients"
            if missing_core
            else f"{n_core} past patient(s) share the condition, stage and pain before treatment, fewer than {min_n}"
        )
        return Expectation(
            n_core, None, None, False, used, rule, timepoint,
            f"Too few similar patients to tell: {why}.{synthetic_words}", caveats=CAVEATS, **counts,
        )  # fmt: skip
    k = int(similar["responder"].sum())
    ci = proportion_ci(k, n)
    reinterventions = int(similar["reintervention"].sum())
    share = k / n
    assert ci.ci_low is not None and ci.ci_high is not None  # n >= n_core >= min_n > 0
    dropped = f" ({' and '.join(relaxed).replace('_band', '')} not matched: too few otherwise)" if relaxed else ""
    message = (
        f"Of {n} similar past patients ({'; '.join(used)}){dropped}, {k} ({share:.0%}) reached a meaningful "
        f"improvement in pain at {timepoint} (95% CI {ci.ci_low:.0%} to {ci.ci_high:.0%}). "
        f"{n_strict} matched on every criterion. "
        "This describes what happened to them; it does not predict what will happen to you." + synthetic_words
    )
    return Expectation(
        n, share, (float(ci.ci_low), float(ci.ci_high)), True, used, rule, timepoint, message,
        reinterventions, reinterventions / n, CAVEATS, **counts,
    )  # fmt: skip
