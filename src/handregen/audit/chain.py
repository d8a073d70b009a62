"""The hash over an audit event's content; pure so that the verifier and the writer share one rule."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def event_digest(content: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 of the canonical JSON of `content` followed by the previous event's hash."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()
