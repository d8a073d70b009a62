"""Responder rules on change from baseline - pure functions, no Django import.

Sources (clinical-facts §1.1, §2 and §2.1): Farrar et al., Pain 2001;94:149-58 (NRS: 2 points and 30%);
Sorensen et al., J Hand Surg Am 2013;38:641-9 (QuickDASH and PRWE MCIDs); BMC Med Res Methodol 2022,
doi:10.1186/s12874-022-01600-1 (thumb-base OA: NRS and PRWHE MIDs); London, Stepan & Calfee, Plast Reconstr
Surg 2014;133:616-25 (MHQ); Pham et al., Osteoarthritis Cartilage 2004;12:389-99 (OMERACT-OARSI).

Percent change = 100 x (follow-up - baseline) / baseline and is undefined (None) when the baseline is 0,
in every rule here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# Scores come from rescaling and averaging, so a change that is exactly on a threshold on paper can land a
# hair below it in floating point; compare with this slack.
_FLOAT_SLACK = 1e-9

# Farrar 2001: a decrease of 2 points or of 30% on the 0-10 NRS is clinically important. Report both.
NRS_POINTS = 2.0
NRS_PERCENT = 30.0


def percent_change(baseline: float, follow_up: float) -> float | None:
    """100 x (follow-up - baseline) / baseline; None when the baseline is 0 (undefined)."""
    return None if baseline == 0 else 100 * (follow_up - baseline) / baseline


@dataclass(frozen=True)
class NrsChange:
    baseline: float
    follow_up: float
    change: float  # follow-up - baseline; negative = less pain
    percent_change: float | None  # None when the baseline is 0
    decreased_2_points: bool
    decreased_30_percent: bool | None  # None (undefined, not "no") when the baseline is 0


def nrs_change(baseline: float, follow_up: float) -> NrsChange:
    """Change on the 0-10 pain NRS with both Farrar 2001 responder flags."""
    for name, value in (("baseline", baseline), ("follow_up", follow_up)):
        _require_score(name, value, 0, 10)
    decrease = baseline - follow_up
    return NrsChange(
        baseline=baseline,
        follow_up=follow_up,
        change=follow_up - baseline,
        percent_change=percent_change(baseline, follow_up),
        decreased_2_points=decrease >= NRS_POINTS - _FLOAT_SLACK,
        # 100 x decrease >= 30 x baseline is "decreased by >= 30%" without dividing (exact for whole numbers).
        decreased_30_percent=None if baseline == 0 else 100 * decrease >= NRS_PERCENT * baseline - _FLOAT_SLACK,
    )


@dataclass(frozen=True)
class Mcid:
    """A minimal clinically important difference, with the published spread it was chosen from."""

    instrument: str
    value: float
    low: float
    high: float
    higher_is_worse: bool
    source: str
    note: str = ""


# Store the threshold and its source with every responder analysis and show the range, not one number
# (clinical-facts §2, implementation notes).
MCIDS: Mapping[str, Mcid] = MappingProxyType(
    {
        "nrs": Mcid(
            instrument="nrs",
            value=2.0,
            low=2.0,
            high=2.8,
            higher_is_worse=True,
            source="Farrar et al., Pain 2001;94:149-58 (about 2 points or 30%); thumb-base OA MID 2.0-2.8, "
            "BMC Med Res Methodol 2022, doi:10.1186/s12874-022-01600-1",
            note="also report the 30% rule (nrs_change)",
        ),
        "quickdash": Mcid(
            instrument="quickdash",
            value=14.0,
            low=9.0,
            high=20.0,
            higher_is_worse=True,
            source="Sorensen et al., J Hand Surg Am 2013;38:641-9 (14, 95% CI 9-20; atraumatic "
            "hand/wrist/forearm conditions)",
            note="range is the 95% CI",
        ),
        "prwe": Mcid(
            instrument="prwe",
            value=14.0,
            low=10.0,
            high=24.0,
            higher_is_worse=True,
            source="Sorensen et al., J Hand Surg Am 2013;38:641-9 (14, 95% CI 8-20); thumb-base OA PRWHE MID "
            "10-24 by method, BMC Med Res Methodol 2022, doi:10.1186/s12874-022-01600-1",
            note="range is the thumb-base OA PRWHE MID spread (0-100 scale)",
        ),
        "mhq": Mcid(
            instrument="mhq",
            value=10.0,
            low=8.0,
            high=13.0,
            higher_is_worse=False,
            source="London, Stepan & Calfee, Plast Reconstr Surg 2014;133:616-25 (MHQ total 8-13 by method)",
            note="handregen's choice: 10, the published midpoint rounded down; near the trigger-finger MIC "
            "of 9.3 (J Hand Ther 2021). For the MHQ total only, not its domains.",
        ),
    }
)


@dataclass(frozen=True)
class ResponderDecision:
    """responder is True, False, or None when the data cannot decide (e.g. a missing value)."""

    responder: bool | None
    reasons: list[str]


def mcid_responder(
    baseline: float | None, follow_up: float | None, *, threshold: float, higher_is_worse: bool
) -> ResponderDecision:
    """Responder if the score improved by at least `threshold` points (a decrease when higher is worse)."""
    if not threshold > 0:
        raise ValueError(f"threshold must be a positive number of points, got {threshold!r}")
    if baseline is None or follow_up is None:
        absent = "baseline" if baseline is None else "follow-up"
        return ResponderDecision(responder=None, reasons=[f"no {absent} score, so no decision"])
    _require_score("baseline", baseline, -math.inf, math.inf)
    _require_score("follow_up", follow_up, -math.inf, math.inf)
    improvement = baseline - follow_up if higher_is_worse else follow_up - baseline
    met = improvement >= threshold - _FLOAT_SLACK
    percent = percent_change(baseline, follow_up)
    shown = "undefined at baseline 0" if percent is None else f"{percent:+.1f}%"
    verdict = "meets" if met else "does not meet"
    return ResponderDecision(
        responder=met,
        reasons=[f"improved by {improvement:g} points (change {shown}); {verdict} the threshold of {threshold:g}"],
    )


@dataclass(frozen=True)
class OmeractOarsiThresholds:
    """OMERACT-OARSI thresholds on 0-100 scales (Pham 2004; the numbers are UNCONFIRMED, clinical-facts §2.1).

    High: pain OR function improved by >= high_percent AND >= high_points. Moderate: at least
    moderate_domains of pain, function and patient global each improved by >= moderate_percent AND
    >= moderate_points.
    """

    high_percent: float = 50.0
    high_points: float = 20.0
    moderate_percent: float = 20.0
    moderate_points: float = 10.0
    moderate_domains: int = 2
    # What counts for the patient global domain when the protocol does not measure it at all (not a missing
    # answer): "not_improved" (handregen's choice: the moderate criterion then needs both pain and function, the
    # strictest reading of "two of three") or "unknown" (no decision unless pain and function settle it).
    patient_global_not_measured: str = "not_improved"
    source: str = (
        "Pham et al., Osteoarthritis Cartilage 2004;12:389-99 (structure confirmed; threshold numbers as widely "
        "reproduced, UNCONFIRMED against the paper's table, clinical-facts 2.1); patient global not measured: "
        "counted as not improved (handregen decision)"
    )

    def __post_init__(self) -> None:
        if min(self.high_percent, self.high_points, self.moderate_percent, self.moderate_points) <= 0:
            raise ValueError("OMERACT-OARSI thresholds must be positive")
        if self.patient_global_not_measured not in ("not_improved", "unknown"):
            raise ValueError("patient_global_not_measured must be 'not_improved' or 'unknown'")

    def as_dict(self) -> dict[str, object]:
        """The parameters as stored with every OMERACT-OARSI rate."""
        return dict(vars(self))


OMERACT_OARSI_PHAM_2004 = OmeractOarsiThresholds()

BaselineFollowUp = tuple[float | None, float | None]


def omeract_oarsi_responder(
    *,
    pain: BaselineFollowUp,
    function: BaselineFollowUp,
    patient_global: BaselineFollowUp = (None, None),
    thresholds: OmeractOarsiThresholds = OMERACT_OARSI_PHAM_2004,
    patient_global_measured: bool = True,
) -> ResponderDecision:
    """OMERACT-OARSI responder from (baseline, follow-up) pairs on 0-100 scales where higher is worse.

    A measured domain without both values counts as unknown: the decision is None only when it could go either
    way. When the protocol does not measure the patient global at all (`patient_global_measured=False`), that
    domain follows `thresholds.patient_global_not_measured` instead.
    """
    reasons: list[str] = []
    high: list[bool | None] = []
    moderate: list[bool | None] = []
    for name, pair in (("pain", pain), ("function", function), ("patient global", patient_global)):
        if name == "patient global" and not patient_global_measured:
            unmeasured = None if thresholds.patient_global_not_measured == "unknown" else False
            counted = "unknown" if unmeasured is None else "not improved"
            reasons.append(f"patient global: not measured; counted as {counted}")
            moderate.append(unmeasured)
            continue
        domain_high, domain_moderate = _omeract_domain(name, pair, thresholds, reasons)
        if name != "patient global":  # the high criterion looks at pain and function only
            high.append(domain_high)
        moderate.append(domain_moderate)
    high_met = _any_of(high)
    moderate_met = _at_least(thresholds.moderate_domains, moderate)
    responder = _any_of([high_met, moderate_met])
    summary = {True: "responder", False: "not a responder", None: "cannot be decided (missing domains)"}
    reasons.append(f"OMERACT-OARSI: {summary[responder]}")
    return ResponderDecision(responder=responder, reasons=reasons)


def _omeract_domain(
    name: str, pair: BaselineFollowUp, limits: OmeractOarsiThresholds, reasons: list[str]
) -> tuple[bool | None, bool | None]:
    """(high criterion met, moderate criterion met) for one domain; None when a value is missing."""
    baseline, follow_up = pair
    if baseline is None or follow_up is None:
        reasons.append(f"{name}: no baseline and follow-up pair; counted as unknown")
        return None, None
    _require_score(f"{name} baseline", baseline, 0, 100)
    _require_score(f"{name} follow-up", follow_up, 0, 100)
    points = baseline - follow_up
    if baseline == 0:
        # Percent change is undefined; on a 0-100 scale there is no room to improve from 0 either.
        reasons.append(f"{name}: baseline 0, percent change undefined and no improvement possible")
        return False, False
    percent = 100 * points / baseline
    high = percent >= limits.high_percent - _FLOAT_SLACK and points >= limits.high_points - _FLOAT_SLACK
    moderate = percent >= limits.moderate_percent - _FLOAT_SLACK and points >= limits.moderate_points - _FLOAT_SLACK
    reasons.append(
        f"{name}: improved {points:g} points ({percent:.1f}%)"
        + ("; meets the high criterion" if high else "")
        + ("; meets the moderate criterion" if moderate else "")
    )
    return high, moderate


def _any_of(flags: list[bool | None]) -> bool | None:
    """Three-valued OR: True if any is True, None if any is unknown, else False."""
    if True in flags:
        return True
    return None if None in flags else False


def _at_least(needed: int, flags: list[bool | None]) -> bool | None:
    """True if at least `needed` are True, False if that is impossible even with every unknown True."""
    met = flags.count(True)
    if met >= needed:
        return True
    return None if met + flags.count(None) >= needed else False


def _require_score(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
