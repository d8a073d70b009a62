"""Release criteria evaluated over a product's measured values (pure: no Django).

A protocol lists its release criteria as data (`measure`, and `min`, `max` or `equals`); this module says,
per criterion, whether the product meets it and, when it does not, why, in a sentence a technician reads
next to the release form. A criterion whose value was never recorded is not met: nothing is released on
a missing result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from math import isfinite
from typing import Any

from handregen.pathway.protocol import ReleaseCriterion

HOURS_SINCE_HARVEST = "hours_since_harvest"


@dataclass(frozen=True)
class CriterionResult:
    code: str
    label: str
    measure: str
    value: Any
    met: bool
    reason: str  # empty when met

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "measure": self.measure,
            "value": self.value,
            "met": self.met,
            "reason": self.reason,
        }


def hours_between(start: datetime, end: datetime) -> float:
    """Hours from `start` to `end` (both aware datetimes), as a float."""
    return (end - start).total_seconds() / 3600


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if isfinite(number) else None


def _shown(value: Any, unit: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = _number(value)
    if number is None:
        return str(value)
    text = f"{number:,.0f}" if number.is_integer() else f"{round(number, 2):g}"
    return f"{text} {unit}".strip()


def evaluate_criterion(criterion: ReleaseCriterion, measures: Mapping[str, Any]) -> CriterionResult:
    """Whether one criterion holds for the measured values (`measures[criterion.measure]`)."""
    value = measures.get(criterion.measure)

    def result(met: bool, reason: str = "") -> CriterionResult:
        return CriterionResult(criterion.code, criterion.label, criterion.measure, value, met, reason)

    if value is None:
        return result(False, f"{criterion.label}: no value was recorded.")
    if criterion.equals is not None:
        if value != criterion.equals or isinstance(value, bool) != isinstance(criterion.equals, bool):
            return result(False, f"{criterion.label}: recorded {_shown(value, criterion.unit)}.")
        return result(True)
    number = _number(value)
    if number is None:
        return result(False, f"{criterion.label}: the recorded value {value!r} is not a number.")
    if criterion.min is not None and number < criterion.min:
        return result(
            False,
            f"{criterion.label}: measured {_shown(value, criterion.unit)}, below the minimum of "
            f"{_shown(criterion.min, criterion.unit)}.",
        )
    if criterion.max is not None and number > criterion.max:
        return result(
            False,
            f"{criterion.label}: measured {_shown(value, criterion.unit)}, above the maximum of "
            f"{_shown(criterion.max, criterion.unit)}.",
        )
    return result(True)


def evaluate_release(criteria: Iterable[ReleaseCriterion], measures: Mapping[str, Any]) -> list[CriterionResult]:
    """Every criterion evaluated, in the protocol's order."""
    return [evaluate_criterion(c, measures) for c in criteria]


def release_refusals(results: Iterable[CriterionResult]) -> list[str]:
    """One reason per criterion not met, in order; [] when the product may be released."""
    return [r.reason for r in results if not r.met]
