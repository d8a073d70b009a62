"""HIPAA Safe Harbor de-identification rules (45 CFR 164.514(b)(2)), as pure functions.

Used by the research export: ages over 89 are grouped as "90+", dates are reduced to the year or to days
from the index procedure, ZIP codes to their first three digits (or "000" where the three-digit area has
20,000 people or fewer), identifiers are replaced by random study codes, and free text is dropped.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

# The 17 three-digit ZIP prefixes with 20,000 or fewer people in the 2000 Census, listed by HHS in its
# Safe Harbor guidance; a site may configure a newer list (HANDREGEN_RESTRICTED_ZIP3).
HHS_2000_RESTRICTED_ZIP3 = (
    "036",
    "059",
    "063",
    "102",
    "203",
    "556",
    "692",
    "790",
    "821",
    "823",
    "830",
    "831",
    "878",
    "879",
    "884",
    "890",
    "893",
)
HHS_2000_SOURCE = "HHS OCR guidance on de-identification (Safe Harbor), 2000 Census ZIP3 areas <= 20,000 people"

AGE_CAP = 90


@dataclass(frozen=True)
class RestrictedZipList:
    prefixes: frozenset[str]
    source: str

    @property
    def digest(self) -> str:
        """SHA-256 of the sorted prefixes, recorded in the export manifest."""
        return hashlib.sha256(",".join(sorted(self.prefixes)).encode()).hexdigest()


def restricted_zip_list(prefixes: Iterable[str] | None = None, source: str | None = None) -> RestrictedZipList:
    """The configured restricted ZIP3 list, defaulting to the HHS 2000-Census list."""
    chosen = tuple(prefixes) if prefixes is not None else HHS_2000_RESTRICTED_ZIP3
    bad = [p for p in chosen if len(p) != 3 or not p.isdigit()]
    if bad:
        raise ValueError(f"restricted ZIP3 prefixes must be three digits: {', '.join(bad)}")
    return RestrictedZipList(frozenset(chosen), source or (HHS_2000_SOURCE if prefixes is None else "site setting"))


def age_in_years(birth_date: date, on: date) -> int:
    """Completed years of age on a given date."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def safe_age(birth_date: date, on: date) -> str:
    """Age as a string, with every age of 90 or over grouped as "90+"."""
    age = age_in_years(birth_date, on)
    return f"{AGE_CAP}+" if age >= AGE_CAP else str(age)


def safe_year(value: date, *, birth_date: date | None = None, on: date | None = None) -> str:
    """The year of a date; for a person aged 90 or over, years that would reveal the age are withheld."""
    if birth_date is not None and on is not None and age_in_years(birth_date, on) >= AGE_CAP:
        return ""
    return str(value.year)


def safe_zip3(postal_code: str, restricted: RestrictedZipList) -> str:
    """First three digits of a US ZIP code, "000" for restricted areas, "" when it is not a ZIP code."""
    digits = "".join(ch for ch in postal_code if ch.isdigit())
    if len(digits) < 5 or not postal_code.strip()[:5].isdigit():
        return ""
    prefix = digits[:3]
    return "000" if prefix in restricted.prefixes else prefix


def days_between(index: date | None, value: date | None) -> int | None:
    """Days from the index procedure to `value` (negative before it); None when either is unknown."""
    if index is None or value is None:
        return None
    return (value - index).days


def new_study_code(prefix: str = "S") -> str:
    """A random study code with no relation to any identifier (80 random bits)."""
    return f"{prefix}-{secrets.token_hex(10).upper()}"
