"""Walk the audit and read chains and name the first broken link; check the anchored heads (U4, U10)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handregen.audit.anchor import anchors_read
from handregen.audit.chain import GENESIS, event_digest
from handregen.audit.keys import key_ring
from handregen.audit.models import AccessEvent, AuditEvent
from handregen.audit.services import access_content, event_content


@dataclass(frozen=True)
class ChainReport:
    chain: str
    events: int
    head: str
    broken_at: int | None  # seq (id, for reads) of the first event whose link or seal does not verify
    problem: str
    unkeyed: int = 0  # events sealed before the chains were keyed (a plain SHA-256)

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.problem


def _walk(
    chain: str,
    events: Iterator[Any],
    content: Callable[[Any], dict[str, Any]],
    anchored: set[str],
) -> ChainReport:
    keys = key_ring().keys
    prev, count, unkeyed, keyed_seen = GENESIS, 0, 0, False
    for event in events:
        count += 1
        if event.prev_hash != prev:
            return ChainReport(chain, count, prev, event.pk, "link to the previous event does not match", unkeyed)
        if event.key_id:
            keyed_seen = True
            key = keys.get(event.key_id)
            if key is None:
                return ChainReport(chain, count, prev, event.pk, f"sealed with key {event.key_id!r}, which is not held",
                                   unkeyed)  # fmt: skip
        elif keyed_seen:
            return ChainReport(chain, count, prev, event.pk, "an unkeyed event after keyed ones", unkeyed)
        else:
            key, unkeyed = None, unkeyed + 1
        if event_digest(content(event), prev, key) != event.hash:
            return ChainReport(chain, count, prev, event.pk, "content does not match its seal", unkeyed)
        anchored.discard(event.hash)
        prev = event.hash
    if count and not keyed_seen:
        return ChainReport(chain, count, prev, None, "no keyed event seals the chain", unkeyed)
    if anchored:
        return ChainReport(chain, count, prev, None, f"{len(anchored)} anchored head(s) missing: the chain was "
                           "rewritten, cut short or deleted", unkeyed)  # fmt: skip
    return ChainReport(chain, count, prev, None, "", unkeyed)


def verify_chain(chain: str, anchored: set[str] | None = None) -> ChainReport:
    """Recompute every seal of `chain` in order; stop at the first event that does not match. With `anchored`,
    also report anchored heads that the chain no longer holds."""
    pending = set(anchored or ())
    if chain.startswith("reads:"):
        reads = AccessEvent.objects.filter(chain=chain).order_by("id").iterator(chunk_size=2000)
        return _walk(chain, reads, access_content, pending)
    writes = AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000)
    return _walk(chain, writes, event_content, pending)


def verify_all(anchor_file: str | Path | None = None) -> list[ChainReport]:
    """Every write and read chain in the database, and with `anchor_file` every chain anchored there (a chain
    deleted outright shows as anchored with no events)."""
    anchors = anchors_read(anchor_file) if anchor_file is not None else {}
    chains = set(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct())
    chains |= set(AccessEvent.objects.exclude(chain="").order_by().values_list("chain", flat=True).distinct())
    return [verify_chain(c, anchors.get(c)) for c in sorted(chains | set(anchors))]
