"""Walk an audit chain and name the first broken link."""

from __future__ import annotations

from dataclasses import dataclass

from handregen.audit.chain import GENESIS, event_digest
from handregen.audit.models import AuditEvent
from handregen.audit.services import event_content


@dataclass(frozen=True)
class ChainReport:
    chain: str
    events: int
    head: str
    broken_at: int | None  # seq of the first event whose link or content does not verify
    problem: str

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(chain: str) -> ChainReport:
    """Recompute every hash of `chain` in order; stop at the first event that does not match."""
    prev = GENESIS
    count = 0
    for event in AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != prev:
            return ChainReport(chain, count, prev, event.seq, "link to the previous event does not match")
        if event_digest(event_content(event), prev) != event.hash:
            return ChainReport(chain, count, prev, event.seq, "content does not match its hash")
        prev = event.hash
    return ChainReport(chain, count, prev, None, "")


def verify_all() -> list[ChainReport]:
    chains = AuditEvent.objects.order_by().values_list("chain", flat=True).distinct()
    return [verify_chain(c) for c in sorted(set(chains))]
