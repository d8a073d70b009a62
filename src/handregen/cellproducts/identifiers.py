"""Cell-product identifiers and wristband codes, with ISO/IEC 7064 MOD 37-2 check characters.

Pure functions, no Django: the bedside check (product label and wristband scanned and matched) must be
provable without a database. The product identifier has the structure of an ISBT 128 Donation
Identification Number (DIN): facility identification number (FIN: one letter or digit, then four
digits), two-digit year, six-digit sequence. A site that holds an ICCBBA facility number uses it; any
other site uses a placeholder of the same shape.

Decision: a DIN is the 13 characters without the check character (as ISBT 128 stores it); what this
system prints in its barcode and what staff type is the *scanned* form, DIN + check character
(14 characters), so that every scan or keyed entry is verified. The MOD 37-2 check (ISBT 128
Standard Technical Specification; UK Red Book annex 2) catches every single-character substitution
and every transposition of two adjacent characters.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Protocol

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""Characters that may appear in a code body; each one's ISO 7064 value is its index."""
CHECK_ALPHABET = ALPHABET + "*"
"""Possible check characters: MOD 37-2 has 37 check values, the 37th written as '*'."""
WRISTBAND_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Random part of a wristband code: no 0/O, 1/I/L, which are misread on worn wristbands."""
WRISTBAND_PREFIX = "W"
WRISTBAND_RANDOM_LENGTH = 10  # 31**10 ≈ 8e14 codes: collisions are negligible, still checked by the caller

DIN_LENGTH = 13
SCANNED_LENGTH = DIN_LENGTH + 1
MAX_SEQUENCE = 999_999
_DIN_PATTERN = re.compile(r"[A-Z0-9][0-9]{4}[0-9]{2}[0-9]{6}")
_FACILITY_PATTERN = re.compile(r"[A-Z0-9][0-9]{4}")
_IGNORED_SEPARATORS = re.compile(r"[\s\-]+")
_MISMATCH = "check character does not match: the code was mistyped or misread"


class CodeError(ValueError):
    """An identifier or wristband code that is malformed; the message says how, in plain words."""


class ProductCodeError(CodeError):
    """A product identifier that cannot be accepted."""


class WristbandCodeError(CodeError):
    """A wristband code that cannot be accepted."""


def _checksum(body: str) -> int:
    """MOD 37-2 check value (0..36) of ``body``; raises CodeError on a character outside 0-9 A-Z."""
    total = 0
    for char in body:
        value = ALPHABET.find(char)
        if value < 0:
            raise CodeError(f"character {char!r} is not allowed (only 0-9 and A-Z)")
        # Horner form of sum(value * 2**position_from_right), kept small by reducing mod 37 each step.
        total = ((total + value) * 2) % 37
    return (38 - total) % 37


def check_character(body: str) -> str:
    """The ISO/IEC 7064 MOD 37-2 check character of ``body`` (upper-case 0-9 A-Z): one of 0-9, A-Z, '*'."""
    if not body:
        raise CodeError("nothing to check: the code is empty")
    return CHECK_ALPHABET[_checksum(body)]


def _normalise(text: object, error: type[CodeError]) -> str:
    """What a scanner or a person typed, without surrounding blanks, inner spaces/dashes, or lower case."""
    if not isinstance(text, str):
        raise error("the code must be text")
    if len(text) > 100:  # refuse early rather than scan a pasted document
        raise error("the code is far too long")
    return _IGNORED_SEPARATORS.sub("", text).upper()


def _verify(body: str, check: str, error: type[CodeError]) -> None:
    bad = sorted({c for c in body if c not in ALPHABET})
    if bad:
        raise error(f"the code contains characters that are not allowed: {''.join(bad)!r}")
    if check not in CHECK_ALPHABET:
        raise error(f"the check character {check!r} is not allowed (only 0-9, A-Z and '*')")
    if check_character(body) != check:
        raise error(_MISMATCH)


@dataclass(frozen=True)
class ProductCode:
    """A product identifier: ``din`` is the 13-character ISBT-style DIN, without its check character."""

    din: str

    def __post_init__(self) -> None:
        if not _DIN_PATTERN.fullmatch(self.din):
            raise ProductCodeError(
                f"{self.din!r} is not a donation identification number "
                "(facility letter/digit + 4 digits, 2-digit year, 6-digit sequence)"
            )

    @property
    def facility(self) -> str:
        return self.din[:5]

    @property
    def year(self) -> str:
        """Two-digit year, as printed."""
        return self.din[5:7]

    @property
    def sequence(self) -> int:
        return int(self.din[7:])

    @property
    def check(self) -> str:
        return check_character(self.din)

    @property
    def scanned(self) -> str:
        """DIN + check character: what the label barcode encodes and what staff type in."""
        return self.din + self.check

    @property
    def eye_readable(self) -> str:
        """Grouped for people, as on the label: ``G1234 98 654321 H``."""
        return f"{self.facility} {self.year} {self.din[7:]} {self.check}"

    @property
    def isbt_flags(self) -> str:
        """ISBT 128 flag characters that carry this check value in a DIN barcode (checksum + 60)."""
        return str(60 + CHECK_ALPHABET.index(self.check))

    def __str__(self) -> str:
        return self.scanned


def format_product_code(facility: str, year: int, sequence: int) -> ProductCode:
    """Build the identifier for ``sequence`` in calendar ``year`` (e.g. 2025) at ``facility``.

    The caller allocates sequences (unique, never reused); this refuses what would not fit in 6 digits.
    """
    facility = _normalise(facility, ProductCodeError)
    if not _FACILITY_PATTERN.fullmatch(facility):
        raise ProductCodeError(
            f"facility code {facility!r} must be a letter or digit followed by four digits (e.g. G1234)"
        )
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ProductCodeError(f"year {year!r} must be a four-digit calendar year")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
        raise ProductCodeError(f"sequence {sequence!r} must be a whole number from 0")
    if sequence > MAX_SEQUENCE:
        raise ProductCodeError(
            f"sequence {sequence} does not fit in six digits: the year's numbers at {facility} are used up"
        )
    return ProductCode(f"{facility}{year % 100:02d}{sequence:06d}")


def parse_scanned_code(text: str) -> ProductCode:
    """Accept a product identifier as scanned or typed, and verify its check character.

    Accepted: ``G123498654321H``, ``g1234 98 654321 h``, ``=G123498654321H`` (ISBT 128 data
    identifier), and an ISBT 128 DIN barcode ``=G12349865432177`` whose flag characters carry the check
    value (60-96). Flags without a check value (e.g. ``00``) are refused: nothing would verify the code.
    """
    raw = _normalise(text, ProductCodeError)
    if not raw:
        raise ProductCodeError("no product identifier was scanned or typed")
    isbt = raw.startswith("=")
    code = raw[1:] if isbt else raw
    if isbt and len(code) == DIN_LENGTH + 2 and all(c in "0123456789" for c in code[-2:]):
        din, flags = code[:DIN_LENGTH], int(code[-2:])
        if not 60 <= flags <= 96:
            raise ProductCodeError(
                f"the ISBT 128 flag characters {code[-2:]} carry no check value; "
                "type the identifier with its check character instead"
            )
        code = din + CHECK_ALPHABET[flags - 60]
    if len(code) != SCANNED_LENGTH:
        raise ProductCodeError(
            f"a product identifier has {SCANNED_LENGTH} characters (13 + check character), this one has {len(code)}"
        )
    din, check = code[:DIN_LENGTH], code[DIN_LENGTH]
    _verify(din, check, ProductCodeError)
    return ProductCode(din)  # structure (digits where digits belong) is checked here


class Chooser(Protocol):
    """Anything with ``choice``, such as ``random.Random(seed)`` for reproducible demo data."""

    def choice(self, seq: str, /) -> str: ...


def new_wristband_code(rng: Chooser | None = None) -> str:
    """A fresh wristband code: ``W`` + 10 random unambiguous characters + check character (12 in all).

    Uses the ``secrets`` generator unless ``rng`` is given; the caller makes sure the code is unused.
    """
    pick = rng.choice if rng is not None else secrets.choice
    body = WRISTBAND_PREFIX + "".join(pick(WRISTBAND_ALPHABET) for _ in range(WRISTBAND_RANDOM_LENGTH))
    return body + check_character(body)


def parse_wristband_code(text: str) -> str:
    """Accept a wristband code as scanned or typed; return it normalised after verifying its check."""
    code = _normalise(text, WristbandCodeError)
    if not code:
        raise WristbandCodeError("no wristband code was scanned or typed")
    length = 1 + WRISTBAND_RANDOM_LENGTH + 1
    if len(code) != length:
        raise WristbandCodeError(f"a wristband code has {length} characters, this one has {len(code)}")
    if not code.startswith(WRISTBAND_PREFIX):
        raise WristbandCodeError(f"a wristband code starts with {WRISTBAND_PREFIX!r}")
    body, check = code[:-1], code[-1]
    _verify(body, check, WristbandCodeError)
    # After the check passes, a character outside the alphabet means a code we never issued.
    if any(c not in WRISTBAND_ALPHABET for c in body[1:]):
        raise WristbandCodeError("this is not a wristband code issued by handregen")
    return code
