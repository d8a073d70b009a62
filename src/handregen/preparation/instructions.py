"""Preparation instructions for one patient, from the protocol and the recorded medications (pure: no Django).

The protocol's `preparation` block gives the fasting hours, the medication holds per drug class (days before,
and whether only the prescriber may decide) and what to bring. The patient's own medications, as recorded at
the consultation, decide which holds apply. A hold that needs the prescriber never tells the patient to stop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Hold:
    medication: str
    drug_class: str
    label: str
    days_before: int
    prescriber_decision: bool
    text: str
    stop_on: str | None = None


@dataclass(frozen=True)
class Instructions:
    fasting_hours: float | None
    holds: list[Hold]
    bring: list[str]
    lines: list[str] = field(default_factory=list)
    procedure_date: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _hours(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def preparation_instructions(
    *,
    preparation: dict[str, Any],
    medications: list[dict[str, Any]],
    procedure_date: date | None = None,
) -> Instructions:
    """The instructions a patient takes home: fasting, which of their medicines to hold and for how long, what to bring.

    `preparation` is the protocol's `preparation` block; `medications` the consultation's entries
    (`{name, drug_class, ...}`). With `procedure_date`, each hold also says the date to stop.
    """
    holds_by_class = {h["drug_class"]: h for h in preparation.get("medication_holds", [])}
    lines: list[str] = []
    fasting = preparation.get("fasting_hours")
    if fasting:
        lines.append(
            f"Do not eat or drink for {_hours(fasting)} hours before the time of your appointment, "
            "unless the clinic tells you otherwise."
        )
    holds: list[Hold] = []
    for medicine in medications:
        rule = holds_by_class.get(medicine.get("drug_class", ""))
        if rule is None:
            continue
        name = str(medicine.get("name") or rule["label"])
        days = int(rule["days_before"])
        kind = rule["label"][:1].lower() + rule["label"][1:]
        stop_on = (procedure_date - timedelta(days=days)).isoformat() if procedure_date else None
        when = f" (on {stop_on})" if stop_on else ""
        if rule.get("prescriber_decision"):
            text = (
                f"{name} — {kind}: do not stop it on your own. Ask the doctor who prescribes it "
                f"whether and when to pause it before the procedure; the clinic usually asks for {days} days"
                f"{when}, but only your prescriber can decide. Tell us what they said."
            )
        else:
            text = f"{name} — {kind}: stop taking it {days} days before the procedure{when}."
        holds.append(
            Hold(name, rule["drug_class"], rule["label"], days, bool(rule.get("prescriber_decision")), text, stop_on)
        )
    lines += [h.text for h in holds]
    if medications:
        lines.append("Keep taking your other medicines as usual unless a doctor tells you otherwise.")
    bring = [str(item) for item in preparation.get("bring", [])]
    if bring:
        lines.append("Please bring: " + "; ".join(item[0].lower() + item[1:] for item in bring) + ".")
    return Instructions(
        fasting_hours=float(fasting) if fasting else None,
        holds=holds,
        bring=bring,
        lines=lines,
        procedure_date=procedure_date.isoformat() if procedure_date else None,
    )
