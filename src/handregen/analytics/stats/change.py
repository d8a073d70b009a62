"""Change from baseline per instrument, subscale and time point (vectorised with pandas)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ._common import Result, check_level, is_missing, opt_float

REQUIRED_COLUMNS = ("episode_id", "timepoint", "instrument", "subscale", "value")
_SERIES = ["episode_id", "instrument", "subscale"]
_GROUP = ["instrument", "subscale", "timepoint"]
DIRECTION = (
    "change = follow-up minus baseline, paired within an episode; whether a decrease or an increase is "
    "an improvement depends on the instrument"
)


@dataclass(frozen=True)
class ChangeRow(Result):
    instrument: Any
    subscale: Any
    timepoint: Any
    n_assessed: int  # episodes with both a baseline and this time point's value
    n_baseline: int  # episodes with a baseline value for this instrument/subscale
    n_without_baseline: int  # values at this time point that have no baseline to pair with
    mean_baseline: float | None  # over the paired episodes only
    mean_followup: float | None  # over the paired episodes only
    mean_change: float | None
    sd_change: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class ChangeFromBaseline(Result):
    rows: tuple[ChangeRow, ...]
    level: float
    baseline_label: str
    direction: str = DIRECTION

    def to_frame(self) -> pd.DataFrame:
        columns = [name for name in ChangeRow.__dataclass_fields__]
        return pd.DataFrame([r.as_dict() for r in self.rows], columns=columns)


def _order_codes(col: pd.Series, order: Sequence[Any] | None = None) -> np.ndarray:
    """Sort codes: the given order first, then the rest in order of first appearance."""
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    if order is None:
        return codes
    listed = {v: i for i, v in enumerate(order)}
    rank = np.array(
        [listed.get(u, len(listed) + j) for j, u in enumerate(uniques)], dtype=np.int64
    )  # loop over distinct values, not rows
    return rank[codes]


def change_from_baseline(
    frame: pd.DataFrame,
    *,
    baseline_label: str = "baseline",
    timepoint_order: Sequence[Any] | None = None,
    level: float = 0.95,
) -> ChangeFromBaseline:
    """Mean paired change from baseline with a t-based CI per (instrument, subscale, timepoint).

    ``frame`` is long: one row per episode, time point, instrument and subscale, with columns
    episode_id, timepoint, instrument, subscale, value. Rows with a missing value are ignored; a
    duplicated (episode, instrument, subscale, timepoint) is an error. A missing subscale (None/NaN) is
    treated as its own key. Rows come out ordered by instrument and subscale (first appearance) and by
    ``timepoint_order`` (default: first appearance).
    """
    level = check_level(level)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("frame must be a pandas DataFrame")
    missing_cols = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing_cols:
        raise ValueError(f"frame lacks columns: {', '.join(missing_cols)}")

    df = frame.loc[:, list(REQUIRED_COLUMNS)].copy()
    df["value"] = pd.to_numeric(df["value"], errors="raise").astype(float)
    if np.isinf(df["value"].to_numpy()).any():
        raise ValueError("values must be finite")
    df = df[df["value"].notna()]
    dup = df.duplicated([*_SERIES, "timepoint"], keep=False)
    if dup.any():
        raise ValueError(
            f"{int(dup.sum())} rows share an (episode_id, instrument, subscale, timepoint); "
            "resolve duplicates before analysis"
        )

    is_base = df["timepoint"] == baseline_label
    base = df.loc[is_base, [*_SERIES, "value"]].rename(columns={"value": "baseline"})
    fu = df.loc[~is_base]
    # merge() matches missing subscale keys with each other, which is what we want here.
    paired = fu.merge(base, on=_SERIES, how="left", validate="many_to_one")
    paired["change"] = paired["value"] - paired["baseline"]
    paired["followup_paired"] = paired["value"].where(paired["baseline"].notna())
    paired["_inst"] = _order_codes(paired["instrument"])
    paired["_sub"] = _order_codes(paired["subscale"])
    paired["_tp"] = _order_codes(paired["timepoint"], timepoint_order)

    agg = paired.groupby(_GROUP, dropna=False, sort=False).agg(
        n_assessed=("change", "count"),
        n_values=("value", "size"),
        mean_baseline=("baseline", "mean"),
        mean_followup=("followup_paired", "mean"),
        mean_change=("change", "mean"),
        sd_change=("change", "std"),
        _inst=("_inst", "first"),
        _sub=("_sub", "first"),
        _tp=("_tp", "first"),
    )
    agg = agg.reset_index()
    n_base = base.groupby(["instrument", "subscale"], dropna=False).size().rename("n_baseline").reset_index()
    agg = agg.merge(n_base, on=["instrument", "subscale"], how="left")
    agg["n_baseline"] = agg["n_baseline"].fillna(0).astype(int)
    agg["n_without_baseline"] = agg["n_values"] - agg["n_assessed"]

    n = agg["n_assessed"].to_numpy(dtype=float)
    df_t = np.where(n >= 2, n - 1, np.nan)
    tcrit = sps.t.ppf(0.5 + level / 2.0, df_t)
    half = tcrit * agg["sd_change"].to_numpy(dtype=float) / np.sqrt(np.where(n > 0, n, np.nan))
    agg["ci_low"] = agg["mean_change"] - half
    agg["ci_high"] = agg["mean_change"] + half
    agg = agg.sort_values(["_inst", "_sub", "_tp"], kind="stable")

    rows = tuple(
        ChangeRow(
            instrument=rec["instrument"],
            subscale=None if is_missing(rec["subscale"]) else rec["subscale"],
            timepoint=rec["timepoint"],
            n_assessed=int(rec["n_assessed"]),
            n_baseline=int(rec["n_baseline"]),
            n_without_baseline=int(rec["n_without_baseline"]),
            mean_baseline=opt_float(rec["mean_baseline"]),
            mean_followup=opt_float(rec["mean_followup"]),
            mean_change=opt_float(rec["mean_change"]),
            sd_change=opt_float(rec["sd_change"]),
            ci_low=opt_float(rec["ci_low"]),
            ci_high=opt_float(rec["ci_high"]),
        )
        for rec in agg.to_dict("records")  # one per output group, not per input row
    )
    return ChangeFromBaseline(rows=rows, level=level, baseline_label=baseline_label)
