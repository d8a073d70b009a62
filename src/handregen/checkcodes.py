"""ISO/IEC 7064 MOD 37-2 check characters, shared by product identifiers and wristband codes.

Pure functions, no Django. The MOD 37-2 check (ISBT 128 Standard Technical Specification; UK Red Book annex 2)
catches every single-character substitution and every transposition of two adjacent characters.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""Characters that may appear in a code body; each one's ISO 7064 value is its index."""
CHECK_ALPHABET = ALPHABET + "*"
"""Possible check characters: MOD 37-2 has 37 check values, the 37th written as '*'."""
_IGNORED_SEPARATORS = re.compile(r"[\s\-]+")
_MISMATCH = "check character does not match: the code was mistyped or misread"


class CodeError(ValueError):
    """An identifier or wristband code that is malformed; the message says how, in plain words."""


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


def normalise_code(text: object, error: type[CodeError]) -> str:
    """What a scanner or a person typed, without surrounding blanks, inner spaces/dashes, or lower case."""
    if not isinstance(text, str):
        raise error("the code must be text")
    if len(text) > 100:  # refuse early rather than scan a pasted document
        raise error("the code is far too long")
    return _IGNORED_SEPARATORS.sub("", text).upper()


def verify_code(body: str, check: str, error: type[CodeError]) -> None:
    bad = sorted({c for c in body if c not in ALPHABET})
    if bad:
        raise error(f"the code contains characters that are not allowed: {''.join(bad)!r}")
    if check not in CHECK_ALPHABET:
        raise error(f"the check character {check!r} is not allowed (only 0-9, A-Z and '*')")
    if check_character(body) != check:
        raise error(_MISMATCH)
