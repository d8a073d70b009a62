"""Anchoring the chains' heads outside the database (U10).

After every commit that appended audit or access events, the newest hash of each chain written is appended to
the anchor file (`HANDREGEN_AUDIT_ANCHOR_FILE`, one line "TIME CHAIN HASH"), in one `O_APPEND` write. Each anchored
hash must still be found in its chain: `handregen audit verify --anchor FILE` then detects a chain rewritten
and re-sealed (even with the key), a tail cut off and a chain deleted outright. Ship the file off the machine
(syslog, object storage with retention) so that whoever can rewrite the database cannot rewrite it too.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone


def anchor_after_commit(chain: str, head: str) -> None:
    """Append `chain`'s `head` to the anchor file once the current transaction commits (never on rollback)."""
    if settings.HANDREGEN_AUDIT_ANCHOR_FILE:
        transaction.on_commit(lambda: _append(chain, head))


def _append(chain: str, head: str) -> None:
    line = f"{timezone.now().isoformat(timespec='seconds')} {chain} {head}\n".encode()
    path = Path(settings.HANDREGEN_AUDIT_ANCHOR_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def anchors_read(path: str | Path) -> dict[str, set[str]]:
    """Every hash anchored per chain in the anchor file at `path`."""
    anchored: dict[str, set[str]] = defaultdict(set)
    with open(path) as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 3:
                anchored[parts[1]].add(parts[2])
    return dict(anchored)
