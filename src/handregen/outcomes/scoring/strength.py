"""Grip and pinch strength: mean of the trials in kg, compared with norms and with the other hand.

ASHT protocol: the score is the mean of three trials (clinical-facts §1.9). Derived metrics: percent of
norm = 100 x mean / norm mean; z = (mean - norm mean) / norm SD; percent of the other hand = 100 x mean /
other hand's mean (handregen decisions; Herold 2023 reports the last). Pinch norms are not shipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from handregen.outcomes.instruments import Instrument

from .grip_norms import YOUNGEST_NORMED_AGE, GripNorm, grip_norm
from .result import RuleOutcome

PROTOCOL_TRIALS = 3
MISSING_POLICY = "mean_of_answered_trials"
SEXES_WITH_NORMS = ("female", "male")
SEXES_WITHOUT_NORMS = ("other", "unknown")  # valid patient sexes (DESIGN §9) with no sex-specific norm
SIDES = ("right", "left")


def score_grip(instrument: Instrument, values: Mapping[str, float], options: Mapping[str, object]) -> RuleOutcome:
    """Mean grip (kg), percent of the Mathiowetz norm and z for options age, sex and side."""
    reasons: list[str] = []
    total = _mean_of_trials(instrument, values, reasons)
    subscales: dict[str, float | None] = {"percent_of_other_hand": _percent_of_other_hand(total, options)}
    norm = _norm_for(options, reasons)
    if total is not None and norm is not None:
        subscales["percent_of_norm"] = 100 * total / norm.mean_kg
        subscales["z"] = (total - norm.mean_kg) / norm.sd_kg
    return RuleOutcome(total=total, subscales=subscales, reasons=reasons, missing_policy=MISSING_POLICY)


def score_pinch(instrument: Instrument, values: Mapping[str, float], options: Mapping[str, object]) -> RuleOutcome:
    """Mean pinch (kg) and percent of the other hand; no norms (key-pinch norms UNCONFIRMED)."""
    reasons: list[str] = []
    total = _mean_of_trials(instrument, values, reasons)
    subscales = {"percent_of_other_hand": _percent_of_other_hand(total, options)}
    return RuleOutcome(total=total, subscales=subscales, reasons=reasons, missing_policy=MISSING_POLICY)


def _mean_of_trials(instrument: Instrument, values: Mapping[str, float], reasons: list[str]) -> float | None:
    trials = [values[item_id] for item_id in instrument.item_ids if item_id in values]
    if not trials:
        reasons.append("no trial recorded")
        return None
    if len(trials) < PROTOCOL_TRIALS:
        missing = [item_id for item_id in instrument.item_ids if item_id not in values]
        reasons.append(
            f"mean of {len(trials)} trials, not the {PROTOCOL_TRIALS} the protocol asks for "
            f"(missing: {', '.join(missing)})"
        )
    return sum(trials) / len(trials)


def _percent_of_other_hand(total: float | None, options: Mapping[str, object]) -> float | None:
    other = options.get("other_hand_kg")
    if other is None:
        return None
    if isinstance(other, bool) or not isinstance(other, int | float) or not math.isfinite(other) or other <= 0:
        raise ValueError(f"other_hand_kg must be a positive number of kg, got {other!r}")
    return None if total is None else 100 * total / other


def _norm_for(options: Mapping[str, object], reasons: list[str]) -> GripNorm | None:
    age = _age(options.get("age"))
    sex = _choice(options, "sex", SEXES_WITH_NORMS + SEXES_WITHOUT_NORMS)
    side = _choice(options, "side", SIDES)
    if age is None or sex is None or side is None:
        absent = [name for name, value in (("age", age), ("sex", sex), ("side", side)) if value is None]
        reasons.append(f"no comparison with the norm: {', '.join(absent)} not given")
        return None
    if sex in SEXES_WITHOUT_NORMS:
        reasons.append(f"no comparison with the norm: Mathiowetz norms are for female and male, sex is {sex}")
        return None
    norm = grip_norm(age=age, sex=sex, side=side)
    if norm is None:
        reasons.append(
            f"no comparison with the norm: Mathiowetz norms start at age {YOUNGEST_NORMED_AGE}, age is {age}"
        )
    return norm


def _age(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"age must be a whole number of years, got {value!r}")
    return value


def _choice(options: Mapping[str, object], name: str, allowed: tuple[str, ...]) -> str | None:
    value = options.get(name)
    if value is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value  # type: ignore[return-value]  # checked against `allowed` above
