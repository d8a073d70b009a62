"""Rules every text and date input meets, whichever edge it came through (API schemas, page forms).

Pure functions, no Django: an answer in words, or None when the value is acceptable.
"""

from __future__ import annotations

import datetime as dt
import re

# C0 control characters and DEL, less tab, line feed and carriage return, which a multi-line note may hold.
# A NUL is stored by SQLite and refused by PostgreSQL (a 500); the others hide text from a reader.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# The years a clinical date or time may fall in: outside them, date arithmetic (a hold ten days before the
# procedure) and the conversion to UTC overflow (issue 19, finding 7: `procedure_date=0001-01-01` was a 500).
YEARS = range(1900, 3000)

CONTROL_CHARACTER_MESSAGE = "must not contain control characters (such as a null byte)"
YEAR_MESSAGE = f"must be a date between the years {YEARS.start} and {YEARS.stop - 1}"


def control_character_problem(text: str) -> str | None:
    """Why `text` cannot be stored as it is, or None."""
    return CONTROL_CHARACTER_MESSAGE if _CONTROL.search(text) else None


def date_range_problem(value: dt.date) -> str | None:
    """Why `value` (a date or a datetime) is out of range, or None."""
    return YEAR_MESSAGE if value.year not in YEARS else None
