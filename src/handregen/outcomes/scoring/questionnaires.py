"""Scoring rules for the sum- and mean-based questionnaires: NRS, PGIC, QuickDASH (+ modules), PRWE, FIHOA.

Each rule receives only usable answers (invalid ones were already turned into missing) and returns a
`RuleOutcome`. Sources are cited next to each constant; see clinical-facts §1.1-§1.3, §1.7, §1.8.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from handregen.outcomes.instruments import Instrument

from .result import RuleOutcome

# QuickDASH: a score only when at most 1 of the 11 items is missing (Gummesson 2006; mccartqm/proms).
QUICKDASH_MIN_ANSWERED = 10

# PGIC: 1 "very much improved" and 2 "much improved" count as improved (Farrar 2001; handregen decision).
PGIC_IMPROVED_AT_MOST = 2

# PRWE function subscale: sum of its 10 items divided by 2, giving 0-50 (MacDermid 1998).
PRWE_FUNCTION_DIVISOR = 2

# PRWE missing-item policies. The manual's rule is UNCONFIRMED (clinical-facts §1.3), so the default is
# "none" (not scorable if any item is missing). "subscale_mean_v1" is the opt-in alternative from the
# handregen decisions: a missing item takes the mean of the answered items of its subscale, allowing at
# most this many missing items per subscale.
PRWE_POLICIES: dict[str, dict[str, int]] = {
    "none": {"pain": 0, "function": 0},
    "subscale_mean_v1": {"pain": 1, "function": 2},
}
PRWE_DEFAULT_POLICY = "none"

NO_MISSING = "none"


def missing_items(item_ids: Sequence[str], values: Mapping[str, float]) -> list[str]:
    """The ids in `item_ids` without a usable answer, in form order."""
    return [item_id for item_id in item_ids if item_id not in values]


def score_single_item(
    instrument: Instrument, values: Mapping[str, float], options: Mapping[str, object]
) -> RuleOutcome:
    """NRS: the score is the answer itself (0-10, higher = worse; Farrar 2001)."""
    (item_id,) = instrument.item_ids
    if item_id not in values:
        return RuleOutcome(total=None, reasons=[f"{item_id} is not answered"])
    return RuleOutcome(total=values[item_id])


def score_pgic(instrument: Instrument, values: Mapping[str, float], options: Mapping[str, object]) -> RuleOutcome:
    """PGIC: the answer (1-7) as the total, and `improved` = 1.0 for 1 or 2, else 0.0."""
    outcome = score_single_item(instrument, values, options)
    if outcome.total is None:
        return outcome
    improved = 1.0 if outcome.total <= PGIC_IMPROVED_AT_MOST else 0.0
    return RuleOutcome(total=outcome.total, subscales={"improved": improved})


def score_quickdash(instrument: Instrument, values: Mapping[str, float], options: Mapping[str, object]) -> RuleOutcome:
    """QuickDASH: ((sum / n) - 1) x 25 over the n answered items, needing at least 10 of 11."""
    return _rescaled_mean(instrument, values, QUICKDASH_MIN_ANSWERED, policy="quickdash_10_of_11")


def score_quickdash_module(
    instrument: Instrument, values: Mapping[str, float], options: Mapping[str, object]
) -> RuleOutcome:
    """QuickDASH work or sport module: ((sum / 4) - 1) x 25, all four items required (IWH)."""
    return _rescaled_mean(instrument, values, len(instrument.items), policy=NO_MISSING)


def score_fihoa(instrument: Instrument, values: Mapping[str, float], options: Mapping[str, object]) -> RuleOutcome:
    """FIHOA: sum of the 10 items (0-3 each), 0-30. Missing-item rule UNCONFIRMED: any missing -> no score."""
    missing = missing_items(instrument.item_ids, values)
    if missing:
        return RuleOutcome(
            total=None,
            reasons=[f"FIHOA is scored only with all 10 items answered; missing: {', '.join(missing)}"],
            missing_policy=NO_MISSING,
        )
    return RuleOutcome(total=sum(values[item_id] for item_id in instrument.item_ids), missing_policy=NO_MISSING)


def score_prwe(instrument: Instrument, values: Mapping[str, float], options: Mapping[str, object]) -> RuleOutcome:
    """PRWE: pain = sum of p1-p5 (0-50), function = sum of f1-f10 / 2 (0-50), total = pain + function."""
    policy = options.get("missing_policy", PRWE_DEFAULT_POLICY)
    if not isinstance(policy, str) or policy not in PRWE_POLICIES:
        raise ValueError(f"unknown PRWE missing_policy {policy!r}; known: {', '.join(PRWE_POLICIES)}")
    reasons: list[str] = []
    subscales: dict[str, float | None] = {}
    for code, divisor in (("pain", 1), ("function", PRWE_FUNCTION_DIVISOR)):
        item_ids = instrument.subscale(code).items
        imputed_sum = _prwe_subscale_sum(code, item_ids, values, policy, reasons)
        subscales[code] = None if imputed_sum is None else imputed_sum / divisor
    pain, function = subscales["pain"], subscales["function"]
    total = None if pain is None or function is None else pain + function
    return RuleOutcome(total=total, subscales=subscales, reasons=reasons, missing_policy=policy)


def _prwe_subscale_sum(
    code: str, item_ids: Sequence[str], values: Mapping[str, float], policy: str, reasons: list[str]
) -> float | None:
    """Sum of a PRWE subscale's items, a missing one taking the mean of the answered ones if the policy allows."""
    allowed_missing = PRWE_POLICIES[policy][code]
    missing = missing_items(item_ids, values)
    if not missing:
        return sum(values[item_id] for item_id in item_ids)
    if len(missing) > allowed_missing:
        reasons.append(
            f"{code}: {len(missing)} of {len(item_ids)} items missing ({', '.join(missing)}); "
            f"missing-item policy {policy!r} allows {allowed_missing}, so {code} is not scored"
        )
        return None
    answered = [values[item_id] for item_id in item_ids if item_id in values]
    mean = sum(answered) / len(answered)
    reasons.append(f"{code}: {', '.join(missing)} imputed with the mean ({mean:g}) of the answered {code} items")
    return sum(answered) + mean * len(missing)


def _rescaled_mean(
    instrument: Instrument, values: Mapping[str, float], min_answered: int, *, policy: str
) -> RuleOutcome:
    """Mean of the answered items mapped onto 0-100: for items 1-5 this is ((sum / n) - 1) x 25."""
    item_ids = instrument.item_ids
    missing = missing_items(item_ids, values)
    answered = [values[item_id] for item_id in item_ids if item_id in values]
    if len(answered) < min_answered:
        return RuleOutcome(
            total=None,
            reasons=[
                f"{len(answered)} of {len(item_ids)} items answered; {instrument.code} needs at least "
                f"{min_answered} (missing: {', '.join(missing)})"
            ],
            missing_policy=policy,
        )
    low, high = instrument.response.min, instrument.response.max
    total = (sum(answered) / len(answered) - low) / (high - low) * 100
    reasons = [f"scored from the {len(answered)} answered items; missing: {', '.join(missing)}"] if missing else []
    return RuleOutcome(total=total, reasons=reasons, missing_policy=policy)
