"""Cell-product identifiers, with ISO/IEC 7064 MOD 37-2 check characters (handregen.checkcodes).

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
from dataclasses import dataclass

from handregen.checkcodes import CHECK_ALPHABET, CodeError, check_character, normalise_code, verify_code

DIN_LENGTH = 13
SCANNED_LENGTH = DIN_LENGTH + 1
MAX_SEQUENCE = 999_999
_DIN_PATTERN = re.compile(r"[A-Z0-9][0-9]{4}[0-9]{2}[0-9]{6}")
_FACILITY_PATTERN = re.compile(r"[A-Z0-9][0-9]{4}")


class ProductCodeError(CodeError):
    """A product identifier that cannot be accepted."""


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
    facility = normalise_code(facility, ProductCodeError)
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
    raw = normalise_code(text, ProductCodeError)
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
    verify_code(din, check, ProductCodeError)
    return ProductCode(din)  # structure (digits where digits belong) is checked here
