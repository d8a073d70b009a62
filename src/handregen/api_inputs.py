"""Input types shared by the API's request schemas: dates only as ISO text, bounded paging.

Pydantic's lax mode reads `0` or `"1700000000"` as a Unix timestamp, so a client sending a number where a
date belongs would get a record dated 1970 instead of a 422; these types accept the documented form only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from handregen.input_rules import date_range_problem

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

# Paging past a million rows is never meant; without a bound a huge offset overflows the database integer.
MAX_OFFSET = 1_000_000


def _date_text(value: Any) -> Any:
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


def _datetime_text(value: Any) -> Any:
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _ISO_DATETIME.match(value)):
        return value
    raise ValueError("must be a date and time written YYYY-MM-DDThh:mm (ISO 8601)")


def _in_years(value: dt.date) -> dt.date:
    # Dates and times alike: outside these years date arithmetic and the conversion to UTC overflow (a 500 before).
    problem = date_range_problem(value)
    if problem:
        raise ValueError(problem)
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_date_text), AfterValidator(_in_years)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_datetime_text), AfterValidator(_in_years)]
