"""Item-level answers that express a target level of pain or disability, per instrument (pure).

The synthetic registry stores real item answers, scored by the real scoring code, so that every figure
computed from it travels the same path as a clinic's data.
"""

from __future__ import annotations

import numpy as np

# MHQ items where 1 is the best answer (the others: 5 is best). Function, ADL and satisfaction are
# reverse-scored domains; aesthetics item 1 and pain item 2 are the reversed items (clinical-facts §1.4).
_MHQ_DOMAIN_ITEMS = {
    "function": [f"i{h}{n}" for h in "ab" for n in range(1, 6)],
    "adl": [f"ii{h}{n}" for h in "ab" for n in range(1, 6)] + [f"iic{n}" for n in range(1, 8)],
    "work": [f"iii{n}" for n in range(1, 6)],
    "pain": [f"iv{h}{n}" for h in "ab" for n in range(1, 6)],
    "aesthetics": [f"v{h}{n}" for h in "ab" for n in range(1, 5)],
    "satisfaction": [f"vi{h}{n}" for h in "ab" for n in range(1, 7)],
}
_ONE_IS_BEST = set(
    _MHQ_DOMAIN_ITEMS["function"]
    + _MHQ_DOMAIN_ITEMS["adl"]
    + _MHQ_DOMAIN_ITEMS["satisfaction"]
    + ["va1", "vb1", "iva2", "ivb2"]
)


def _likert(rng: np.random.Generator, level: float, n: int, low: int, high: int, noise: float = 0.6) -> list[int]:
    """`n` integer answers in [low, high] scattered around `low + level * (high - low)`."""
    centre = low + level * (high - low)
    values = np.clip(np.rint(centre + rng.normal(0.0, noise, n)), low, high)
    return [int(v) for v in values]


def nrs_answers(pain: float) -> dict[str, int]:
    return {"pain": int(np.clip(round(pain), 0, 10))}


def quickdash_answers(rng: np.random.Generator, disability: float) -> dict[str, int]:
    """`disability` on the 0-100 QuickDASH scale (100 = most disability)."""
    items = _likert(rng, disability / 100.0, 11, 1, 5)
    return {f"q{i + 1}": v for i, v in enumerate(items)}


def prwe_answers(rng: np.random.Generator, pain: float, disability: float) -> dict[str, int]:
    """`pain` on 0-10 and `disability` on 0-100 drive the pain and function items (0-10 each)."""
    pains = _likert(rng, pain / 10.0, 5, 0, 10, noise=1.0)
    functions = _likert(rng, disability / 100.0, 10, 0, 10, noise=1.0)
    return {f"p{i + 1}": v for i, v in enumerate(pains)} | {f"f{i + 1}": v for i, v in enumerate(functions)}


def fihoa_answers(rng: np.random.Generator, disability: float) -> dict[str, int]:
    items = _likert(rng, disability / 100.0, 10, 0, 3, noise=0.5)
    return {f"i{i + 1}": v for i, v in enumerate(items)}


def pgic_answers(rng: np.random.Generator, improvement: float) -> dict[str, int]:
    """`improvement` from -1 (much worse) to 1 (much better) → 1 (very much improved) … 7 (very much worse)."""
    value = 4 - 3 * improvement + rng.normal(0.0, 0.7)
    return {"pgic": int(np.clip(round(value), 1, 7))}


def _mhq_hand(item: str) -> str:
    """right, left or both: two-hand ADL (iic…) and work (iii…) items are asked once for both hands."""
    if item.startswith(("iic", "iii")):
        return "both"
    return "right" if item.lstrip("iv")[0] == "a" else "left"


def _mhq_layout() -> list[tuple[str, str, str, bool]]:
    """(item, domain, hand, 1-is-best) for every MHQ item, in order."""
    return [
        (item, domain, _mhq_hand(item), item in _ONE_IS_BEST)
        for domain, items in _MHQ_DOMAIN_ITEMS.items()
        for item in items
    ]


_MHQ_LAYOUT = _mhq_layout()


def mhq_answers(rng: np.random.Generator, affected: str, goodness: float, pain: float) -> dict[str, int]:
    """MHQ items for a patient whose affected hand (`right`/`left`) works at `goodness` (0-1, 1 = normal)
    with `pain` on 0-10; the other hand is mostly unaffected."""
    other_goodness, other_pain = 0.85, 1.0
    levels = []
    for _item, domain, hand, one_is_best in _MHQ_LAYOUT:
        on_affected = hand in ("both", affected)
        level = goodness if on_affected else other_goodness
        if domain == "pain":
            level = 1.0 - (pain if on_affected else other_pain) / 10.0
        levels.append(1.0 - level if one_is_best else level)
    # One draw for all items (as `_likert` draws per item: centre on the 1-5 scale plus noise, rounded).
    centres = 1 + 4 * np.asarray(levels)
    values = np.clip(np.rint(centres + rng.normal(0.0, 0.5, len(levels))), 1, 5)
    return {layout[0]: int(v) for layout, v in zip(_MHQ_LAYOUT, values, strict=True)}


def grip_answers(rng: np.random.Generator, mean_kg: float) -> dict[str, float]:
    trials = np.clip(mean_kg + rng.normal(0.0, 1.0, 3), 0.5, 95.0)
    return {f"trial{i + 1}": round(float(t), 1) for i, t in enumerate(trials)}


def answers_for(
    instrument: str,
    rng: np.random.Generator,
    *,
    pain: float,
    disability: float,
    improvement: float,
    grip_kg: float,
    affected: str,
) -> dict[str, object]:
    """Answers for `instrument` from a patient's state at one time point."""
    if instrument == "nrs":
        return dict(nrs_answers(pain))
    if instrument == "quickdash":
        return dict(quickdash_answers(rng, disability))
    if instrument == "prwe":
        return dict(prwe_answers(rng, pain, disability))
    if instrument == "fihoa":
        return dict(fihoa_answers(rng, disability))
    if instrument == "pgic":
        return dict(pgic_answers(rng, improvement))
    if instrument == "mhq":
        return dict(mhq_answers(rng, affected, 1.0 - disability / 100.0, pain))
    if instrument == "grip":
        return dict(grip_answers(rng, grip_kg))
    raise ValueError(f"no synthetic answers for {instrument}")
