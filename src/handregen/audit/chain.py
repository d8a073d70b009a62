"""The seal over an audit or access event's content; pure so that the verifier and the writer share one rule.

An event's hash is an HMAC-SHA256, under a key held outside the database (`audit.keys`), of the previous event's
hash and the canonical JSON of its content (which names the key's id). Without the key nobody can re-seal a
rewritten chain. Events written before the chains were keyed carry no key id and a plain SHA-256 (`key=None`);
the verifier accepts them only as a chain's first events, sealed in by a keyed event after them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

GENESIS = "0" * 64


def _message(content: dict[str, Any], prev_hash: str) -> bytes:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return f"{prev_hash}\n{canonical}".encode()


def event_digest(content: dict[str, Any], prev_hash: str, key: bytes | None) -> str:
    """HMAC-SHA256 under `key` of the previous hash and `content`; plain SHA-256 for an unkeyed (old) event."""
    if key is None:
        return hashlib.sha256(_message(content, prev_hash)).hexdigest()
    return hmac.new(key, _message(content, prev_hash), hashlib.sha256).hexdigest()


def sealer(key: bytes) -> Callable[[dict[str, Any], str], str]:
    """`event_digest` under one key, for many events: the keyed state is set up once and copied per event."""
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def seal(content: dict[str, Any], prev_hash: str) -> str:
        mac = keyed.copy()
        mac.update(_message(content, prev_hash))
        return mac.hexdigest()

    return seal
