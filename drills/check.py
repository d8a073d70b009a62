"""After a crash: is everything the writer acknowledged still there, and is the record consistent?

Usage: python -m drills.check ACKS_FILE   (prints one finding a line; exit 1 when there is any)
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from drills.common import django_setup

# The audit action written in the same transaction as each kind of custody event.
CUSTODY_AUDIT = {
    "collected": "product.collect",
    "received": "product.receive",
    "processed": "product.processing",
    "released": "product.release",
    "dispensed": "product.administer",
    "administered": "product.administer",
}


def findings(acks: list[str]) -> list[str]:
    from django.db import connection

    from handregen.audit.models import AuditEvent
    from handregen.audit.verify import verify_all
    from handregen.cellproducts.models import CustodyEvent
    from handregen.pathway.models import Episode
    from handregen.patients.models import Patient

    found: list[str] = []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            verdict = cursor.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            found.append(f"SQLite integrity_check: {verdict}")
    wanted: dict[str, set[str]] = defaultdict(set)
    for line in acks:
        kind, _, ident = line.partition(" ")
        wanted[kind].add(ident)
    present_patients = {str(p) for p in Patient.objects.filter(pk__in=wanted["patient"]).values_list("pk", flat=True)}
    found += [f"acknowledged patient {p} is missing" for p in sorted(wanted["patient"] - present_patients)]
    episodes = dict(Episode.objects.filter(pk__in=wanted["episode"] | wanted["journey"]).values_list("pk", "stage"))
    present_episodes = {str(pk) for pk in episodes}
    found += [f"acknowledged episode {e} is missing" for e in sorted(wanted["episode"] - present_episodes)]
    for pk, stage in episodes.items():
        if str(pk) in wanted["journey"] and stage != "follow_up":
            found.append(f"episode {pk} acknowledged at follow-up is at {stage}")
    actions: dict[str, set[str]] = defaultdict(set)
    for object_id, action in AuditEvent.objects.filter(object_type="cell_product").values_list("object_id", "action"):
        actions[object_id].add(action)
    for product_id, event in CustodyEvent.objects.values_list("product_id", "event"):
        needed = CUSTODY_AUDIT.get(event)
        if needed and needed not in actions[str(product_id)]:
            found.append(f"custody event '{event}' of product {product_id} has no '{needed}' audit event")
    found += [f"audit chain {r.chain} broken at event {r.broken_at}: {r.problem}" for r in verify_all() if not r.ok]
    return found


def main() -> int:
    django_setup()
    acks = [line.strip() for line in Path(sys.argv[1]).read_text().splitlines() if line.strip()]
    problems = findings(acks)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
