"""What a candidacy decision's answers mean under a protocol (pure: no Django).

Given the protocol, the physician's answers (`{criterion_code: bool}`), the decision, the rationale and facts
read from the record (age, recorded medications, dated prior treatments, staged imaging), `assess_candidacy`
says what is missing, what is refused and which soft flags need a documented decision:

- every criterion must be answered; a criterion the protocol marks `derived_from` may be left out and is then
  taken from the record (it is not typed twice);
- a derived answer the record contradicts is refused, whichever way it goes (the record is corrected, not
  overruled, so that preparation instructions and analyses read the same truth);
- `eligible` is refused when a hard exclusion is present or an inclusion is not met;
- `eligible` with a soft flag present needs a rationale (the documented decision);
- `ineligible` and `deferred` need a rationale too (checked as input by the service).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from handregen.pathway.protocol import Criterion, Protocol

DECISIONS = ("eligible", "ineligible", "deferred")

# Criteria a protocol may mark `derived_from: "medications"`, with the drug classes that make them true.
MEDICATION_CLASSES: dict[str, frozenset[str]] = {
    "anticoagulants": frozenset({"anticoagulant"}),
    "antiplatelets": frozenset({"antiplatelet"}),
    "systemic_immunomodulators": frozenset({"oral_corticosteroid", "immunomodulator"}),
}
# Criteria the date of birth answers (the minimum age in years): shown, never asked.
FROM_AGE: dict[str, int] = {"adult": 18}
# Criteria a protocol may mark `derived_from: "prior_treatments"`, with the treatment kind whose date counts.
TREATMENT_WINDOWS: dict[str, str] = {
    "recent_corticosteroid_injection": "corticosteroid_injection",
}


@dataclass(frozen=True)
class RecordFacts:
    """What the record says, as the rules need it.

    `medications`: (name, drug_class) pairs from the consultation. `treatments_into_target`: (kind, date)
    of the prior treatments into the episode's target joint. `age_years` and `staged_imaging` are None when
    not known (then they are not checked).
    """

    today: date
    age_years: int | None = None
    medications: tuple[tuple[str, str], ...] = ()
    treatments_into_target: tuple[tuple[str, date], ...] = ()
    staged_imaging: bool | None = None


@dataclass(frozen=True)
class Derived:
    value: bool
    basis: str


@dataclass
class CandidacyAssessment:
    answers: dict[str, bool] = field(default_factory=dict)
    derived: dict[str, Derived] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    hard_exclusions_present: list[str] = field(default_factory=list)
    inclusions_unmet: list[str] = field(default_factory=list)
    soft_flags_present: list[str] = field(default_factory=list)
    soft_flags_needing_decision: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.unknown

    @property
    def can_be_eligible(self) -> bool:
        return self.complete and not self.hard_exclusions_present and not self.inclusions_unmet


def _name(criterion: Criterion) -> str:
    return f"'{criterion.label}' ({criterion.code})"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def derive(criterion: Criterion, facts: RecordFacts) -> Derived | None:
    """The answer the record gives for a `derived_from` criterion, or None when the rules cannot derive it."""
    if criterion.code in FROM_AGE and facts.age_years is not None:
        adult = facts.age_years >= FROM_AGE[criterion.code]
        return Derived(adult, f"the patient is {facts.age_years} years old (from the date of birth)")
    if criterion.derived_from == "medications" and criterion.code in MEDICATION_CLASSES:
        classes = MEDICATION_CLASSES[criterion.code]
        found = [f"{name} ({drug_class})" for name, drug_class in facts.medications if drug_class in classes]
        if found:
            return Derived(True, f"the consultation lists {', '.join(found)}")
        return Derived(False, f"the consultation lists no {' or '.join(sorted(classes)).replace('_', ' ')}")
    if criterion.derived_from == "prior_treatments" and criterion.code in TREATMENT_WINDOWS:
        kind = TREATMENT_WINDOWS[criterion.code]
        words = kind.replace("_", " ")
        dates = sorted((d for k, d in facts.treatments_into_target if k == kind), reverse=True)
        if criterion.window_days is None:
            return None
        window = criterion.window_days
        within = [d for d in dates if 0 <= (facts.today - d).days <= window]
        if within:
            last = within[0]
            days = (facts.today - last).days
            return Derived(
                True,
                f"the consultation records a {words} into the target joint on {last.isoformat()} "
                f"({days} days ago, within the protocol's {window}-day window)",
            )
        if dates:
            return Derived(
                False,
                f"the last {words} into the target joint recorded was on {dates[0].isoformat()}, "
                f"outside the protocol's {window}-day window",
            )
        return Derived(False, f"the consultation records no {words} into the target joint")
    return None


def _record_checks(protocol: Protocol, answers: dict[str, bool], decision: str, facts: RecordFacts) -> list[str]:
    """Answers that the record plainly contradicts although the protocol does not derive them."""
    reasons = []
    adult = protocol.criterion("adult")
    if adult is not None and facts.age_years is not None and "adult" in answers:
        is_adult = facts.age_years >= 18
        if answers["adult"] != is_adult:
            reasons.append(
                f"Contradiction: {_name(adult)} is answered {_yes_no(answers['adult'])}, but the patient's "
                f"recorded birth date makes them {facts.age_years}."
            )
    imaging = protocol.criterion("symptomatic_radiographic_oa")
    if (
        imaging is not None
        and decision == "eligible"
        and answers.get("symptomatic_radiographic_oa") is True
        and facts.staged_imaging is False
    ):
        reasons.append(
            f"{_name(imaging)} is answered yes, but no imaging study with a Kellgren-Lawrence grade or "
            "Eaton-Littler stage is recorded; record the imaging in the consultation first."
        )
    return reasons


def assess_candidacy(
    *,
    protocol: Protocol,
    answers: dict[str, bool],
    decision: str,
    rationale: str,
    facts: RecordFacts,
) -> CandidacyAssessment:
    """Everything the answers mean under `protocol`; see the module's docstring for the rules."""
    result = CandidacyAssessment()
    known = {c.code for c in protocol.criteria}
    result.unknown = sorted(code for code in answers if code not in known)
    for criterion in protocol.criteria:
        derived = derive(criterion, facts) if criterion.derived_from or criterion.code in FROM_AGE else None
        if derived is not None:
            result.derived[criterion.code] = derived
        given = answers.get(criterion.code)
        if given is None:
            if derived is None:
                result.missing.append(criterion.code)
                continue
            given = derived.value
        elif derived is not None and bool(given) != derived.value:
            result.refusals.append(
                f"Contradiction: {_name(criterion)} is answered {_yes_no(bool(given))}, but {derived.basis}. "
                "Correct the answer or the consultation."
            )
        result.answers[criterion.code] = bool(given)
    if not result.complete:
        return result

    result.refusals += _record_checks(protocol, result.answers, decision, facts)
    for criterion in protocol.criteria:
        value = result.answers[criterion.code]
        if criterion.kind == "hard_exclusion" and value:
            result.hard_exclusions_present.append(criterion.code)
        elif criterion.kind == "inclusion" and not value:
            result.inclusions_unmet.append(criterion.code)
        elif criterion.kind == "soft_flag" and value:
            result.soft_flags_present.append(criterion.code)

    by_code = {c.code: c for c in protocol.criteria}
    if decision == "eligible":
        for code in result.hard_exclusions_present:
            result.refusals.append(f"Cannot be eligible: hard exclusion {_name(by_code[code])} is present.")
        for code in result.inclusions_unmet:
            result.refusals.append(f"Cannot be eligible: inclusion criterion {_name(by_code[code])} is not met.")
        if result.soft_flags_present:
            result.soft_flags_needing_decision = list(result.soft_flags_present)
            if not rationale.strip():
                for code in result.soft_flags_present:
                    criterion = by_code[code]
                    result.refusals.append(
                        f"Soft flag {_name(criterion)} is present: document the decision to go ahead in the rationale."
                    )
    return result
