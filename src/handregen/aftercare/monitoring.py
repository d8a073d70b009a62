"""Post-procedure monitoring observations: what one observation holds and its plausible ranges (pure).

The ranges are plausibility bounds that catch typing errors (a pulse of 720), not clinical thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

SITE_STATES: dict[str, str] = {
    "normal": "Normal / dressing dry and intact",
    "swelling": "Swelling",
    "bruising": "Bruising",
    "oozing": "Oozing through the dressing",
    "bleeding": "Bleeding",
    "haematoma": "Haematoma",
    "redness": "Redness",
}

# field -> (lowest, highest, whole numbers only, unit)
RANGES: dict[str, tuple[float, float, bool, str]] = {
    "pain_nrs": (0, 10, True, "0-10"),
    "heart_rate": (20, 250, True, "beats/min"),
    "systolic_bp": (50, 260, True, "mmHg"),
    "diastolic_bp": (20, 160, True, "mmHg"),
    "temperature_c": (30, 43, False, "°C"),
    "spo2": (50, 100, True, "%"),
}
FIELDS = ("at", *RANGES, "injection_site", "harvest_site", "note")
NOTE_MAX = 500


def observation_problems(index: int, observation: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for each problem of observation number `index` (fields named monitoring.<i>.<name>)."""
    where = f"monitoring.{index}"
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(observation) - set(FIELDS))
    if unknown:
        problems.append((where, f"unknown fields: {', '.join(unknown)}"))
    if not isinstance(observation.get("at"), datetime):
        problems.append((f"{where}.at", "give the date and time of the observation"))
    for name, (low, high, whole, unit) in RANGES.items():
        value = observation.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append((f"{where}.{name}", "must be a number"))
        elif (whole and value != int(value)) or not low <= value <= high:
            kind = "a whole number " if whole else ""
            problems.append((f"{where}.{name}", f"must be {kind}from {low:g} to {high:g} ({unit})"))
    systolic, diastolic = observation.get("systolic_bp"), observation.get("diastolic_bp")
    if isinstance(systolic, int | float) and isinstance(diastolic, int | float) and diastolic >= systolic:
        problems.append((f"{where}.diastolic_bp", "must be lower than the systolic pressure"))
    for name in ("injection_site", "harvest_site"):
        value = observation.get(name)
        if value not in (None, "") and value not in SITE_STATES:
            problems.append((f"{where}.{name}", f"must be one of {', '.join(SITE_STATES)}"))
    note = observation.get("note") or ""
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        problems.append((f"{where}.note", f"must be text of at most {NOTE_MAX} characters"))
    measured = [n for n in (*RANGES, "injection_site", "harvest_site") if observation.get(n) not in (None, "")]
    if not measured:
        problems.append((where, "record at least one of pain, vital signs or the state of a site"))
    return problems
