"""Input types shared by the API's request schemas: dates only as ISO text, bounded paging.

Pydantic's lax mode reads `0` or `"1700000000"` as a Unix timestamp, so a client sending a number where a
date belongs would get a record dated 1970 instead of a 422; these types accept the documented form only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

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


IsoDate = Annotated[dt.date, BeforeValidator(_date_text)]
# A time is stored in UTC: one near year 1 or 9999 with a far offset overflows on the way (a 500 before).
_YEARS = range(1900, 3000)


def _storable(value: dt.datetime) -> dt.datetime:
    if value.year not in _YEARS:
        raise ValueError(f"must be a time between the years {_YEARS.start} and {_YEARS.stop - 1}")
    return value


IsoDateTime = Annotated[dt.datetime, BeforeValidator(_datetime_text), AfterValidator(_storable)]
