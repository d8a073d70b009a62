"""Kaplan-Meier estimate of time to an event (e.g. re-intervention), via lifelines."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._common import Result, check_level, finite_array, opt_float

CI_METHOD = "exponential Greenwood (log(-log) transform), as computed by lifelines"


@dataclass(frozen=True)
class KMPoint(Result):
    """Survival at a requested day. ``n_at_risk`` counts subjects with duration >= day."""

    day: float
    survival: float | None
    ci_low: float | None
    ci_high: float | None
    n_at_risk: int
    reason: str | None = None


@dataclass(frozen=True)
class KMStep(Result):
    day: float
    n_at_risk: int
    n_events: int
    n_censored: int
    survival: float
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class KMResult(Result):
    n: int
    n_events: int
    max_follow_up_days: float | None
    median_days: float | None  # None when survival never falls to 0.5 ("not reached")
    points: tuple[KMPoint, ...]
    steps: tuple[KMStep, ...]
    level: float
    ci_method: str = CI_METHOD
    reason: str | None = None


def _events_array(events: Iterable[Any], n: int) -> np.ndarray:
    raw = np.asarray(list(events) if not isinstance(events, np.ndarray) else events)
    if raw.ndim != 1 or raw.size != n:
        raise ValueError("events must be one-dimensional and as long as durations_days")
    if raw.size and not np.isin(raw, [0, 1, True, False]).all():
        raise ValueError("events must be 1/True (event observed) or 0/False (censored)")
    return raw.astype(bool)


def kaplan_meier(
    durations_days: Iterable[Any],
    events: Iterable[Any],
    at: Sequence[float] = (),
    level: float = 0.95,
) -> KMResult:
    """Product-limit survival estimate with pointwise CIs at the days in ``at`` and the step table.

    At a requested day beyond the longest follow-up the estimate is not reported (None, with a reason):
    the curve is not observed there.
    """
    level = check_level(level)
    durations = finite_array(durations_days, "durations_days")
    if not np.isfinite(durations).all():
        raise ValueError("durations must be finite numbers")
    if (durations < 0).any():
        raise ValueError("durations must not be negative")
    observed = _events_array(events, durations.size)
    days = [float(d) for d in at]
    if any(not np.isfinite(d) or d < 0 for d in days):
        raise ValueError("requested days must be finite and not negative")
    n = int(durations.size)

    if n == 0:
        empty = tuple(KMPoint(d, None, None, None, 0, "no subjects") for d in days)
        return KMResult(0, 0, None, None, empty, (), level, reason="no subjects")

    from lifelines import KaplanMeierFitter  # imported lazily: lifelines is slow to import

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmf = KaplanMeierFitter(alpha=1.0 - level).fit(durations, event_observed=observed)

    timeline = kmf.survival_function_.index.to_numpy(dtype=float)
    surv = kmf.survival_function_.iloc[:, 0].to_numpy(dtype=float)
    ci = kmf.confidence_interval_survival_function_
    low, high = ci.iloc[:, 0].to_numpy(dtype=float), ci.iloc[:, 1].to_numpy(dtype=float)
    max_days = float(durations.max())

    points: list[KMPoint] = []
    for d in days:
        at_risk = int((durations >= d).sum())
        if d > max_days:
            points.append(KMPoint(d, None, None, None, at_risk, "beyond the longest follow-up"))
            continue
        if d < timeline[0]:
            points.append(KMPoint(d, 1.0, 1.0, 1.0, at_risk))
            continue
        i = int(np.searchsorted(timeline, d, side="right") - 1)  # last step at or before d
        points.append(KMPoint(d, float(surv[i]), opt_float(low[i]), opt_float(high[i]), at_risk))

    table = kmf.event_table
    steps: list[KMStep] = []
    for t, s, lo, hi in zip(timeline, surv, low, high, strict=True):
        if t not in table.index:
            continue
        row = table.loc[t]
        if int(row["observed"]) == 0 and int(row["censored"]) == 0:
            continue  # lifelines' artificial row at day 0
        steps.append(
            KMStep(
                day=float(t),
                n_at_risk=int(row["at_risk"]),
                n_events=int(row["observed"]),
                n_censored=int(row["censored"]),
                survival=float(s),
                ci_low=opt_float(lo),
                ci_high=opt_float(hi),
            )
        )

    median = float(kmf.median_survival_time_)
    return KMResult(
        n=n,
        n_events=int(observed.sum()),
        max_follow_up_days=max_days,
        median_days=median if np.isfinite(median) else None,
        points=tuple(points),
        steps=tuple(steps),
        level=level,
    )
