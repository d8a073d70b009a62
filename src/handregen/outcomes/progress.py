"""A patient's own progress in plain words (pure: no Django).

One calm sentence per instrument that has a baseline and at least one later score, and, where a published
minimal clinically important difference exists (`responders.MCIDS`), whether the change reaches it, in
either direction. The words never say the treatment caused the change: a before-after difference is not
proof of effect (clinical-facts §2), so every progress text ends with the same caveat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from handregen.outcomes.responders import MCIDS, Mcid, mcid_responder

CAVEAT = "Changes like this can have many causes; your doctor will talk them through with you."


@dataclass(frozen=True)
class PatientWords:
    """How a patient's page names an instrument's score: '<what> was 7<unit>'."""

    what: str
    unit: str
    whole_numbers: bool = False


# The instruments a patient sees progress for, in the order shown.
PATIENT_WORDS: Mapping[str, PatientWords] = {
    "nrs": PatientWords("your average hand pain", " out of 10", whole_numbers=True),
    "quickdash": PatientWords("your score for everyday difficulty with your arm and hand (QuickDASH)", " out of 100"),
    "prwe": PatientWords("your score for wrist and hand pain and use (PRWE)", " out of 100"),
    "mhq": PatientWords("your score for how well your hand works (MHQ)", " out of 100"),
    "grip": PatientWords("your grip strength", " kg"),
}


@dataclass(frozen=True)
class ScorePoint:
    """One score at one time point; `days` is None for the baseline (before treatment)."""

    timepoint: str
    label: str
    days: int | None
    value: float
    late_baseline: bool = False  # a baseline answered after the injection (only when an analyst includes it)


@dataclass(frozen=True)
class InstrumentProgress:
    instrument: str
    baseline: ScorePoint
    latest: ScorePoint
    sentence: str
    mcid: Mcid | None
    mcid_sentence: str  # "" when no published rule exists for the instrument
    reaches_mcid: bool | None  # True/False for a change in either direction; None without a rule


def number(value: float, *, whole: bool = False) -> str:
    """A score as a patient reads it: whole numbers without decimals, others to one decimal."""
    if whole or abs(value - round(value)) < 0.05:
        return str(round(value))
    return f"{value:.1f}"


def when_words(label: str) -> str:
    """'3 months' -> 'at 3 months'."""
    return f"at {label[:1].lower()}{label[1:]}"


def instrument_progress(
    instrument: str, baseline: ScorePoint, later: Sequence[ScorePoint], *, higher_is_worse: bool
) -> InstrumentProgress | None:
    """The progress sentence of one instrument from its baseline and later scores; None without a later one."""
    words = PATIENT_WORDS.get(instrument)
    after = [p for p in later if p.days is not None]
    if words is None or not after:
        return None
    latest = max(after, key=lambda p: p.days or 0)
    shown = lambda v: number(v, whole=words.whole_numbers) + words.unit  # noqa: E731 - a local formatter
    sentence = (
        f"{words.what[:1].upper()}{words.what[1:]} was {shown(baseline.value)} before treatment "
        f"and {shown(latest.value)} {when_words(latest.label)}."
    )
    mcid = MCIDS.get(instrument)
    if mcid is None:
        return InstrumentProgress(instrument, baseline, latest, sentence, None, "", None)
    reaches, mcid_sentence = _mcid_words(baseline.value, latest.value, mcid, higher_is_worse=higher_is_worse)
    return InstrumentProgress(instrument, baseline, latest, sentence, mcid, mcid_sentence, reaches)


def _mcid_words(baseline: float, latest: float, mcid: Mcid, *, higher_is_worse: bool) -> tuple[bool, str]:
    better = mcid_responder(baseline, latest, threshold=mcid.value, higher_is_worse=higher_is_worse).responder
    # Swapping the pair measures the change the other way: a worsening of at least the threshold.
    worse = mcid_responder(latest, baseline, threshold=mcid.value, higher_is_worse=higher_is_worse).responder
    size = abs(latest - baseline)
    points = f"{number(size)} point{'' if number(size) == '1' else 's'}"
    rule = f"the {number(mcid.value)} points that studies found people usually notice as a real difference"
    if better:
        return True, f"This change of {points} for the better is at least {rule}."
    if worse:
        return True, f"This change of {points} for the worse is at least {rule}."
    return False, f"This change of {points} is smaller than {rule}."


def episode_progress(
    scores: Mapping[str, Sequence[ScorePoint]], *, higher_is_worse: Mapping[str, bool]
) -> list[InstrumentProgress]:
    """Progress per instrument, in `PATIENT_WORDS` order, for those with a baseline and a later score.

    `scores` maps instrument code to its points of one treatment cycle, the baseline among them.
    """
    found = []
    for code in PATIENT_WORDS:
        points = scores.get(code, ())
        baseline = next((p for p in points if p.days is None), None)
        if baseline is None:
            continue
        progress = instrument_progress(code, baseline, points, higher_is_worse=higher_is_worse.get(code, True))
        if progress is not None:
            found.append(progress)
    return found


def first_check_words(due_on: date | None) -> str:
    """What the page says before any check-up after treatment has a score."""
    if due_on is None:
        return "Your check-ups after treatment will be planned once your treatment has taken place."
    return f"Your first check-up is due on {due_on.day} {due_on:%B %Y}."
