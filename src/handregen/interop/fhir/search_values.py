"""FHIR R4 search values: parsing a search value and matching it against what a resource holds (no Django).

Follows https://hl7.org/fhir/R4/search.html: token `[system]|[code]`, date prefixes (eq ne lt gt le ge) on
the implicit range of the value's precision, strings matched case- and accent-insensitively at the start
(`:contains` anywhere, `:exact` exactly), references as `[Type/]id` or an absolute URL, canonicals as
`url[|version]`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

DATE_PREFIXES = ("eq", "ne", "lt", "gt", "le", "ge")
_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


class SearchValueError(ValueError):
    """A search value that cannot be understood (a 400 naming the parameter)."""


def split_or(text: str) -> list[str]:
    """The comma-separated alternatives of one parameter value (`\\,` is a literal comma)."""
    return [part.replace("\\,", ",") for part in re.split(r"(?<!\\),", text)]


# Dates -------------------------------------------------------------------------------------------------------

Range = tuple[datetime, datetime]  # [start, end): the instants a value of some precision covers


def date_range(text: str) -> Range:
    """The implicit range of a FHIR date, dateTime or instant; times without a zone are taken as UTC."""
    match = _DATE.match(text.strip())
    if match is None:
        raise SearchValueError(f"'{text}' is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a date and time)")
    g = match.groupdict()
    try:
        year, month, day = int(g["y"]), int(g["m"] or 1), int(g["d"] or 1)
        if g["H"] is None:
            start = datetime(year, month, day, tzinfo=UTC)
            if g["d"]:
                return start, start + timedelta(days=1)
            if g["m"]:
                return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            return start, datetime(year + 1, 1, 1, tzinfo=UTC)
        zone = "+00:00" if g["tz"] in (None, "Z") else g["tz"]
        seconds = g["S"] or "00"
        start = datetime.fromisoformat(f"{g['y']}-{g['m']}-{g['d']}T{g['H']}:{g['M']}:{seconds}{g['f'] or ''}{zone}")
    except ValueError as exc:
        raise SearchValueError(f"'{text}' is not a valid date") from exc
    if g["f"]:
        step = timedelta(microseconds=1)
    elif g["S"]:
        step = timedelta(seconds=1)
    else:
        step = timedelta(minutes=1)
    return start, start + step


def value_range(value: Any) -> Range | None:
    """The range of a resource's date value: a date/dateTime string, a `date`, or a Period dict."""
    if isinstance(value, datetime):
        at = value if value.tzinfo else value.replace(tzinfo=UTC)
        return at, at + timedelta(microseconds=1)
    if isinstance(value, date):
        return date_range(value.isoformat())
    if isinstance(value, str):
        try:
            return date_range(value)
        except SearchValueError:
            return None
    if isinstance(value, dict) and (value.get("start") or value.get("end")):
        start = date_range(value["start"])[0] if value.get("start") else datetime.min.replace(tzinfo=UTC)
        end = date_range(value["end"])[1] if value.get("end") else datetime.max.replace(tzinfo=UTC)
        return start, end
    return None


@dataclass(frozen=True)
class DateValue:
    prefix: str
    range: Range

    @classmethod
    def parse(cls, text: str) -> DateValue:
        prefix = text[:2] if text[:2] in DATE_PREFIXES else "eq"
        return cls(prefix, date_range(text[2:] if text[:2] in DATE_PREFIXES else text))

    def matches(self, target: Range) -> bool:
        (low, high), (start, end) = self.range, target
        within = low <= start and end <= high
        return {
            "eq": within,
            "ne": not within,
            "lt": start < low,
            "gt": end > high,
            "le": start < low or within,
            "ge": end > high or within,
        }[self.prefix]


# Tokens ------------------------------------------------------------------------------------------------------

Token = tuple[str | None, str]  # (system, code) as a resource holds it; system None when it has none


@dataclass(frozen=True)
class TokenValue:
    system: str | None  # None: any system; "": no system (`|code`)
    code: str | None  # None: any code of the system (`system|`)

    @classmethod
    def parse(cls, text: str) -> TokenValue:
        if "|" not in text:
            return cls(None, text)
        system, code = text.split("|", 1)
        if not code and not system:
            raise SearchValueError("a token needs a system or a code")
        return cls(system, code or None)

    def matches(self, token: Token) -> bool:
        system, code = token
        if self.code is not None and code != self.code:
            return False
        if self.system is None:
            return True
        return (system or "") == self.system


def tokens(value: Any) -> Iterator[Token]:
    """The (system, code) pairs of a code, Coding, CodeableConcept or Identifier (or a list of them)."""
    if isinstance(value, list):
        for item in value:
            yield from tokens(item)
    elif isinstance(value, dict):
        if "coding" in value:
            yield from tokens(value["coding"])
        elif "code" in value:
            yield value.get("system"), str(value["code"])
        elif "value" in value:
            yield value.get("system"), str(value["value"])
    elif isinstance(value, str | bool | int):
        yield None, str(value).lower() if isinstance(value, bool) else str(value)


# Strings, references, canonicals -----------------------------------------------------------------------------


def folded(text: str) -> str:
    """Case- and accent-insensitive form of a string."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class StringValue:
    text: str
    modifier: str  # "" (starts with), "contains", "exact"

    def matches(self, value: str) -> bool:
        if self.modifier == "exact":
            return value == self.text
        if self.modifier == "contains":
            return folded(self.text) in folded(value)
        return folded(value).startswith(folded(self.text))


def reference_key(text: str) -> tuple[str | None, str]:
    """(type, id) of a reference given as `id`, `Type/id` or an absolute URL ending in `Type/id`."""
    parts = [p for p in text.split("?")[0].split("/") if p]
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return parts[-2], parts[-1]
    return None, parts[-1] if parts else ""


@dataclass(frozen=True)
class ReferenceValue:
    type: str | None
    id: str

    @classmethod
    def parse(cls, text: str, target: str | None) -> ReferenceValue:
        kind, ident = reference_key(text)
        if not ident:
            raise SearchValueError("a reference needs an id")
        if kind and target and kind != target:
            raise SearchValueError(f"this parameter refers to {target}, not {kind}")
        return cls(kind or target, ident)

    def matches(self, reference: str) -> bool:
        kind, ident = reference_key(reference)
        return ident == self.id and (self.type is None or kind == self.type)


@dataclass(frozen=True)
class CanonicalValue:
    url: str
    version: str | None

    @classmethod
    def parse(cls, text: str) -> CanonicalValue:
        url, _, version = text.partition("|")
        return cls(url, version or None)

    def matches(self, canonical: str) -> bool:
        url, _, version = canonical.partition("|")
        return url == self.url and (self.version is None or version == self.version)
