"""The key of the audit chains' HMAC, held outside the database (U10).

The current key comes from `HANDREGEN_AUDIT_KEY` ("KEYID:SECRET", the secret at least 32 characters) or, when
that is unset, from the key file `HANDREGEN_AUDIT_KEY_FILE` (default `var/audit-keys`: one "KEYID SECRET" line per
key, the last line the current key), which outside production is created with a random key on first use.
Each event stores the id of the key that sealed it, so after a rotation (`handregen audit rotate-key`, or a new
`HANDREGEN_AUDIT_KEY` with the old one moved to `HANDREGEN_AUDIT_OLD_KEYS`, "ID:SECRET,ID:SECRET") old events
still verify with their own key. Someone with only the database cannot re-seal a rewritten chain.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]  # key id -> secret, old keys included

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def _pair(text: str, separator: str, source: str) -> tuple[str, bytes]:
    key_id, _, secret = text.strip().partition(separator)
    if not key_id or len(secret) < 32 or not key_id.replace("-", "").isalnum():
        raise ImproperlyConfigured(f"{source}: write each key as KEYID{separator}SECRET, the secret 32+ characters")
    return key_id, secret.encode()


def _read_file(path: Path) -> list[tuple[str, bytes]]:
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [_pair(line, " ", str(path)) for line in lines]


def _create_file(path: Path) -> None:
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            f"No audit key: set HANDREGEN_AUDIT_KEY or create {path} (see docs/security.md); production never makes one"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            f"# audit chain keys, oldest first; the last is current. Keep a copy off this machine.\n"
            f"k1 {secrets.token_hex(32)}\n"
        )


@lru_cache(maxsize=8)
def _ring(env_key: str, env_old: str, file: str) -> KeyRing:
    pairs: list[tuple[str, bytes]] = []
    path = Path(file)
    if path.exists() or not env_key:
        if not path.exists():
            with contextlib.suppress(FileExistsError):  # another process made it first
                _create_file(path)
        pairs += _read_file(path)
    pairs += [_pair(item, ":", "HANDREGEN_AUDIT_OLD_KEYS") for item in env_old.split(",") if item.strip()]
    if env_key:
        pairs.append(_pair(env_key, ":", "HANDREGEN_AUDIT_KEY"))
    if not pairs:
        raise ImproperlyConfigured(f"{path} holds no audit key")
    return KeyRing(current_id=pairs[-1][0], keys=dict(pairs))


def key_ring() -> KeyRing:
    """The audit keys as configured now (read once per configuration)."""
    return _ring(
        getattr(settings, "HANDREGEN_AUDIT_KEY", ""),
        getattr(settings, "HANDREGEN_AUDIT_OLD_KEYS", ""),
        str(settings.HANDREGEN_AUDIT_KEY_FILE),
    )


def key_rotate() -> str:
    """Append a new random key to the key file and make it current; return its id. Old keys stay for verifying."""
    ring = key_ring()
    if getattr(settings, "HANDREGEN_AUDIT_KEY", ""):
        raise ImproperlyConfigured(
            "The key comes from HANDREGEN_AUDIT_KEY: set a new one there, the old one in HANDREGEN_AUDIT_OLD_KEYS"
        )
    number = 1 + max((int(k[1:]) for k in ring.keys if k[:1] == "k" and k[1:].isdigit()), default=0)
    new_id = f"k{number}"
    with open(settings.HANDREGEN_AUDIT_KEY_FILE, "a") as handle:
        handle.write(f"{new_id} {secrets.token_hex(32)}\n")
    _ring.cache_clear()
    return new_id
