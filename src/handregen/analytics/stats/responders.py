"""Responder rates with an explicit rule for patients who were not assessed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._common import Result, check_count, check_level, is_missing
from .intervals import proportion_ci

MissingRule = Literal["complete_case", "non_responder"]

_ASSUMPTIONS = {
    "complete_case": (
        "Complete case: only assessed patients with a defined responder flag are counted. This assumes "
        "that patients who were not assessed, or whose flag is undefined, would have responded at the "
        "same rate as those counted; if people who did badly drop out more often, this rate is too high."
    ),
    "non_responder": (
        "Non-responder imputation: every expected patient who was not assessed, or whose flag is "
        "undefined, is counted as a non-responder. This is deliberately pessimistic and gives a lower "
        "bound under the assumption that missing patients did not respond."
    ),
}


@dataclass(frozen=True)
class ResponderRate(Result):
    n_responders: int
    n_assessed: int
    n_expected: int
    n_not_assessed: int
    n_undefined: int
    denominator: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str
    level: float
    missing: str
    assumption: str
    reason: str | None = None


def _flag(value: Any) -> bool | None:
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"responder flags must be True, False or None, got {value!r}")


def responder_rate(
    flags: Iterable[Any],
    n_expected: int,
    missing: MissingRule = "complete_case",
    level: float = 0.95,
) -> ResponderRate:
    """Share of responders with an exact Clopper-Pearson interval.

    ``flags`` has one entry per *assessed* patient: True (responder), False, or None (flag undefined,
    e.g. percent change at baseline 0). ``n_expected`` counts every patient due at this time point,
    assessed or not.
    """
    level = check_level(level)
    n_expected = check_count("n_expected", n_expected)
    if missing not in _ASSUMPTIONS:
        raise ValueError(f"unknown missing rule {missing!r}; use 'complete_case' or 'non_responder'")
    parsed = [_flag(f) for f in flags]
    n_assessed = len(parsed)
    if n_assessed > n_expected:
        raise ValueError(f"{n_assessed} assessed patients but only {n_expected} expected")
    n_responders = sum(1 for f in parsed if f is True)
    n_undefined = sum(1 for f in parsed if f is None)
    n_not_assessed = n_expected - n_assessed
    denominator = n_assessed - n_undefined if missing == "complete_case" else n_expected
    ci = proportion_ci(n_responders, denominator, method="clopper_pearson", level=level)
    reason = None
    if denominator == 0:
        reason = (
            "no assessed patient with a defined responder flag"
            if missing == "complete_case"
            else "no patients expected"
        )
    return ResponderRate(
        n_responders=n_responders,
        n_assessed=n_assessed,
        n_expected=n_expected,
        n_not_assessed=n_not_assessed,
        n_undefined=n_undefined,
        denominator=denominator,
        rate=ci.rate,
        ci_low=ci.ci_low,
        ci_high=ci.ci_high,
        ci_method="clopper_pearson",
        level=level,
        missing=missing,
        assumption=_ASSUMPTIONS[missing],
        reason=reason,
    )
