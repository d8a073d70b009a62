"""The database's content as one hash, for R1-style tests: a refused step leaves the database as it was.

Every row of every handregen model counts, except the audit rows that record a refusal (a refused step is
audited on purpose) and the access log (reads are logged on purpose).
"""

from __future__ import annotations

import hashlib

from django.apps import apps


def database_state() -> str:
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if not model.__module__.startswith("handregen."):
            continue
        rows = model.objects.order_by("pk")
        if model._meta.label == "audit.AuditEvent":
            rows = rows.exclude(outcome="refused")
        if model._meta.label == "audit.AccessEvent":
            continue
        digest.update(model._meta.label.encode())
        for row in rows.values():
            digest.update(repr(sorted(row.items())).encode())
    return digest.hexdigest()
