"""Patient wristband codes: ``W`` + 10 random unambiguous characters + a MOD 37-2 check character.

Pure functions, no Django: the bedside check (product label and wristband scanned and matched) must be provable
without a database.
"""

from __future__ import annotations

import secrets
from typing import Protocol

from handregen.checkcodes import CodeError, check_character, normalise_code, verify_code

WRISTBAND_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Random part of a wristband code: no 0/O, 1/I/L, which are misread on worn wristbands."""
WRISTBAND_PREFIX = "W"
WRISTBAND_RANDOM_LENGTH = 10  # 31**10 ≈ 8e14 codes: collisions are negligible, still checked by the caller


class WristbandCodeError(CodeError):
    """A wristband code that cannot be accepted."""


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
    code = normalise_code(text, WristbandCodeError)
    if not code:
        raise WristbandCodeError("no wristband code was scanned or typed")
    length = 1 + WRISTBAND_RANDOM_LENGTH + 1
    if len(code) != length:
        raise WristbandCodeError(f"a wristband code has {length} characters, this one has {len(code)}")
    if not code.startswith(WRISTBAND_PREFIX):
        raise WristbandCodeError(f"a wristband code starts with {WRISTBAND_PREFIX!r}")
    body, check = code[:-1], code[-1]
    verify_code(body, check, WristbandCodeError)
    # After the check passes, a character outside the alphabet means a code we never issued.
    if any(c not in WRISTBAND_ALPHABET for c in body[1:]):
        raise WristbandCodeError("this is not a wristband code issued by handregen")
    return code
