"""Sorting raw answers into usable numbers and problems (unknown items, invalid values).

An invalid value - out of range, not a number, a bool, NaN or infinity, a fraction for a whole-number item -
is treated as missing and never clipped (mccartqm/proms QuickDASH code; clinical-facts §1.2).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from handregen.outcomes.instruments import Instrument, ResponseRange


@dataclass(frozen=True)
class ReadAnswers:
    values: dict[str, float]  # usable answers by item id; unanswered and invalid items are absent
    problems: list[tuple[str, str]]  # (item id, message) for unknown items and invalid values
    unknown: frozenset[str]  # the ids in `problems` that are not items of the instrument


def read_answers(instrument: Instrument, answers: Mapping[str, object]) -> ReadAnswers:
    """Split `answers` into usable values and problems; None means "not answered" and is no problem."""
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a mapping of item id to value, got {type(answers).__name__}")
    known = set(instrument.item_ids)
    values: dict[str, float] = {}
    problems: list[tuple[str, str]] = []
    unknown: set[str] = set()
    for key, value in answers.items():
        item_id = str(key)
        if not isinstance(key, str) or key not in known:
            problems.append((item_id, f"{_shown(item_id)} is not an item of {instrument.code}"))
            unknown.add(item_id)
        elif value is not None:
            number, message = checked_value(value, instrument.response)
            if number is not None:
                values[key] = number
            else:
                problems.append((key, str(message)))
    return ReadAnswers(values=values, problems=problems, unknown=frozenset(unknown))


def checked_value(value: object, response: ResponseRange) -> tuple[float | None, str | None]:
    """(the number, None) when `value` is a valid answer for this range, else (None, why not)."""
    if isinstance(value, bool):
        return None, f"{value!r} is a yes/no value, not a number"
    if not isinstance(value, numbers.Real | Decimal):
        return None, f"{_shown(value)} is not a number"
    try:
        number = float(value)
    except OverflowError:
        return None, f"the value is far outside the range {response.describe()}"
    if not math.isfinite(number):
        return None, f"{_shown(value)} is not a finite number"
    if response.integer and not number.is_integer():
        return None, f"{number:g} is not a whole number (expected {response.describe()})"
    if not response.min <= number <= response.max:
        return None, f"{number:g} is outside the range {response.describe()}"
    return number, None


def _shown(value: object, limit: int = 40) -> str:
    """repr() cut to a readable length, so a pasted essay does not end up in every reason."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
