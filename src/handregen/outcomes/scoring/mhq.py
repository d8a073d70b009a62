"""Michigan Hand Outcomes Questionnaire scoring.

Rules (clinical-facts §1.4 and §7.3): Chung et al., J Hand Surg Am 1998;23:575-87 (Appendix 1); M-CHOIR
scoring page; U-M MHQ FAQ for missing items; cross-checked against the open-source the-mad-statter/mhq
(R/algo.R, R/aodl.R, R/over.R), whose test expectations this module reproduces.

Order of steps for each scale of one hand: flip reversed items (pain item 2, aesthetics item 1) FIRST,
then impute missing items with the mean of the scale's answered items, then transform to 0-100. Flipping
before imputing is a handregen decision (U-M's text does not say; the open-source package does the same).

Further handregen decisions where the sources leave room:
- ADL: the half-missing rule and the imputation apply to each part (5 one-hand items, 7 two-hand items)
  separately, as each part is transformed on its own; ADL needs both parts (as in the-mad-statter/mhq).
- Pain is 0 only when pain item 1 was actually answered "never" (5), not when an imputed value is 5.
- hand="both": each domain and the total are the mean of the right- and left-hand scores and need both.
"""

from __future__ import annotations

from collections.abc import Mapping

from handregen.outcomes.instruments import HANDS, Instrument

from .result import RuleOutcome

HAND_OPTIONS = ("right", "left", "both")

# The six domains averaged into the total, pain entering as 100 - pain (M-CHOIR scoring page).
DOMAINS = ("function", "adl", "work", "pain", "aesthetics", "satisfaction")

# Scales scored straight from items. True = reverse-scored: (5n - raw) / 4n x 100, so that 100 is the best
# function (or, for pain, the worst pain); False: (raw - n) / 4n x 100 (Chung 1998; the-mad-statter/mhq
# R/algo.R). Work and aesthetics are not reversed. ADL is the mean of its one-hand and two-hand parts.
REVERSE_SCORED = {
    "function": True,
    "adl_one_hand": True,
    "adl_two_hand": True,
    "work": False,
    "pain": True,
    "aesthetics": False,
    "satisfaction": True,
}

# Pain item 1 (how often) answered 5 = "never": the pain score is 0 whatever else (the-mad-statter/mhq).
PAIN_NEVER = 5

# A scale with half or more of its items missing is not scored; otherwise missing items take the mean of
# the answered ones (U-M MHQ FAQ, http://mhq.lab.medicine.umich.edu/faq).
MAX_MISSING_SHARE = 0.5

MISSING_POLICY = "mhq_half_missing_v1"


def score_mhq(instrument: Instrument, values: Mapping[str, float], options: Mapping[str, object]) -> RuleOutcome:
    """Domain scores and total for the hand named by option `hand`; for "both", right and left averaged."""
    hand = options.get("hand")
    if hand not in HAND_OPTIONS:
        raise ValueError(f"mhq needs the option hand = right, left or both; got {hand!r}")
    hands = HANDS if hand == "both" else (str(hand),)
    reasons: list[str] = []
    per_hand = {side: _hand_scores(instrument, values, side, reasons) for side in hands}
    totals = [_hand_total(per_hand[side], side, reasons) for side in hands]
    subscales = {
        subscale.code: _mean_or_none([per_hand[side][subscale.code] for side in hands])
        for subscale in instrument.subscales
    }
    return RuleOutcome(
        total=_mean_or_none(totals),
        subscales=subscales,
        reasons=list(dict.fromkeys(reasons)),  # work and two-hand ADL are shared by both hands: say it once
        missing_policy=MISSING_POLICY,
    )


def _hand_scores(
    instrument: Instrument, values: Mapping[str, float], hand: str, reasons: list[str]
) -> dict[str, float | None]:
    scores = {code: _scale_score(instrument, code, hand, values, reasons) for code in REVERSE_SCORED}
    scores["adl"] = _mean_or_none([scores["adl_one_hand"], scores["adl_two_hand"]])
    return scores


def _hand_total(scores: Mapping[str, float | None], hand: str, reasons: list[str]) -> float | None:
    scored = {domain: score for domain in DOMAINS if (score := scores[domain]) is not None}
    if len(scored) < len(DOMAINS):
        unscored = [domain for domain in DOMAINS if domain not in scored]
        reasons.append(f"total ({hand} hand) needs all six domains; not scored: {', '.join(unscored)}")
        return None
    scored["pain"] = 100 - scored["pain"]
    return sum(scored.values()) / len(scored)


def _scale_score(
    instrument: Instrument, code: str, hand: str, values: Mapping[str, float], reasons: list[str]
) -> float | None:
    """One scale for one hand: its own-hand items plus any items asked once (work, two-hand ADL)."""
    members = set(instrument.subscale(code).items)
    items = [item for item in instrument.items if item.id in members and item.hand in (hand, None)]
    label = f"{code} ({hand} hand)" if any(item.hand for item in items) else code
    if code == "pain" and values.get(items[0].id) == PAIN_NEVER:
        return 0.0
    low, high = instrument.response.min, instrument.response.max
    oriented = [
        low + high - values[item.id] if item.reversed else values[item.id] for item in items if item.id in values
    ]
    missing = [item.id for item in items if item.id not in values]
    n = len(items)
    if len(missing) >= MAX_MISSING_SHARE * n:
        reasons.append(f"{label}: {len(missing)} of {n} items missing (half or more), so it is not scored")
        return None
    mean = sum(oriented) / len(oriented)
    if missing:
        reasons.append(f"{label}: {', '.join(missing)} imputed with the mean ({mean:.2f}) of its answered items")
    raw = sum(oriented) + mean * len(missing)
    span = (high - low) * n
    return (high * n - raw) / span * 100 if REVERSE_SCORED[code] else (raw - low * n) / span * 100


def _mean_or_none(scores: list[float | None]) -> float | None:
    known = [score for score in scores if score is not None]
    return sum(known) / len(known) if known and len(known) == len(scores) else None
