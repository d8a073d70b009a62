"""Words for the codes that records keep, for everything a person reads (pages, charts, PDFs).

Pure functions, no Django. A code that has no words here is shown as it is given, so callers can pass words
through unchanged.
"""

from __future__ import annotations

import re

_TIMEPOINT = re.compile(r"^(?P<unit>[dwmy])(?P<count>\d+)$")
_UNITS = {"d": ("day", "days"), "w": ("week", "weeks"), "m": ("month", "months"), "y": ("year", "years")}


def timepoint_words(code: str) -> str:
    """'w2' -> '2 weeks', 'm12' -> '12 months', 'baseline' -> 'Before treatment'; other text unchanged."""
    if code == "baseline":
        return "Before treatment"
    match = _TIMEPOINT.match(code)
    if match is None:
        return code
    count = int(match["count"])
    singular, plural = _UNITS[match["unit"]]
    return f"{count} {singular if count == 1 else plural}"
