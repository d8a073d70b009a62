"""Means and proportions with confidence intervals, and event rates per 100 procedures."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats as sps

from ._common import Result, check_count, check_level, clip01, finite_array, t_value, z_value

ProportionMethod = Literal["clopper_pearson", "wilson"]
RateMethod = Literal["binomial", "poisson"]


@dataclass(frozen=True)
class MeanCI(Result):
    """Mean with a t-distribution confidence interval. Missing values (None/NaN) are left out and counted."""

    n: int
    n_missing: int
    mean: float | None
    sd: float | None
    ci_low: float | None
    ci_high: float | None
    level: float
    reason: str | None = None


@dataclass(frozen=True)
class ProportionCI(Result):
    k: int
    n: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    method: str
    level: float
    reason: str | None = None


@dataclass(frozen=True)
class EventRate(Result):
    """Events per 100 procedures with an exact confidence interval."""

    k: int
    n_procedures: int
    rate_per_100: float | None
    ci_low: float | None
    ci_high: float | None
    method: str
    method_description: str
    level: float
    reason: str | None = None


def mean_ci(values: Iterable[Any], level: float = 0.95) -> MeanCI:
    """Sample mean, SD (n-1 denominator) and mean +/- t(1-a/2, n-1) * sd / sqrt(n)."""
    level = check_level(level)
    arr = finite_array(values, "values")
    if np.isinf(arr).any():
        raise ValueError("values must be finite (None or NaN mark a missing value)")
    present = arr[~np.isnan(arr)]
    n, n_missing = int(present.size), int(arr.size - present.size)
    if n == 0:
        return MeanCI(0, n_missing, None, None, None, None, level, "no values")
    mean = float(present.mean())
    if n < 2:
        reason = "a confidence interval needs at least 2 values"
        return MeanCI(1, n_missing, mean, None, None, None, level, reason)
    sd = float(present.std(ddof=1))
    half = t_value(level, n - 1) * sd / math.sqrt(n)
    return MeanCI(n, n_missing, mean, sd, mean - half, mean + half, level)


def _clopper_pearson(k: int, n: int, level: float) -> tuple[float, float]:
    alpha = 1.0 - level
    # Exact limits from the beta distribution; at k = 0 / k = n the open side is exactly 0 / 1.
    low = 0.0 if k == 0 else float(sps.beta.ppf(alpha / 2.0, k, n - k + 1))
    high = 1.0 if k == n else float(sps.beta.ppf(1.0 - alpha / 2.0, k + 1, n - k))
    return clip01(low), clip01(high)


def _wilson(k: int, n: int, level: float) -> tuple[float, float]:
    z = z_value(level)
    z2 = z * z
    p = k / n
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low, high = centre - half, centre + half
    # The Wilson limits are exactly 0 at k = 0 and exactly 1 at k = n; remove rounding noise.
    if k == 0:
        low = 0.0
    if k == n:
        high = 1.0
    return clip01(low), clip01(high)


def proportion_ci(k: int, n: int, method: ProportionMethod = "clopper_pearson", level: float = 0.95) -> ProportionCI:
    """k successes out of n with an exact (Clopper-Pearson) or Wilson score interval."""
    level = check_level(level)
    k, n = check_count("k", k), check_count("n", n)
    if k > n:
        raise ValueError(f"k ({k}) must not exceed n ({n})")
    if method == "clopper_pearson":
        fn = _clopper_pearson
    elif method == "wilson":
        fn = _wilson
    else:
        raise ValueError(f"unknown method {method!r}; use 'clopper_pearson' or 'wilson'")
    if n == 0:
        return ProportionCI(k, n, None, None, None, method, level, "denominator is 0")
    low, high = fn(k, n, level)
    return ProportionCI(k, n, k / n, low, high, method, level)


def event_rate_per_100(k: int, n_procedures: int, method: RateMethod = "binomial", level: float = 0.95) -> EventRate:
    """Events per 100 procedures.

    ``binomial`` (default): each procedure has the event at most once, so k/n is a proportion and the
    interval is Clopper-Pearson x 100. ``poisson``: events may recur within a procedure; exact
    (Garwood) Poisson limits chi2(a/2, 2k)/2 and chi2(1-a/2, 2k+2)/2 for the count, divided by n x 100.
    """
    level = check_level(level)
    k, n = check_count("k", k), check_count("n_procedures", n_procedures)
    if method == "binomial":
        if k > n:
            raise ValueError(
                f"k ({k}) exceeds n_procedures ({n}); at most one event per procedure is assumed by the "
                "binomial method - use method='poisson' for recurring events"
            )
        description = "exact binomial (Clopper-Pearson) interval x 100; at most one event per procedure"
    elif method == "poisson":
        description = "exact Poisson (Garwood, chi-square) interval for the count, per 100 procedures"
    else:
        raise ValueError(f"unknown method {method!r}; use 'binomial' or 'poisson'")
    if n == 0:
        return EventRate(k, n, None, None, None, method, description, level, "no procedures")
    if method == "binomial":
        low, high = _clopper_pearson(k, n, level)
    else:
        alpha = 1.0 - level
        low_count = 0.0 if k == 0 else float(sps.chi2.ppf(alpha / 2.0, 2 * k)) / 2.0
        high_count = float(sps.chi2.ppf(1.0 - alpha / 2.0, 2 * k + 2)) / 2.0
        low, high = low_count / n, high_count / n
    return EventRate(k, n, 100.0 * k / n, 100.0 * low, 100.0 * high, method, description, level)
