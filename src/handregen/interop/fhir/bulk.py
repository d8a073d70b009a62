"""FHIR Bulk Data export: one NDJSON file per resource type for the actor's site, with a manifest.

Set-based: patients are read in batches (ordered by MRN, so two exports of the same data list resources in
the same order) and each resource type is built with one query per batch (`builders.BY_TYPE`). Files are
streamed, one resource per line, with orjson; empty types get no file (as the Bulk Data spec allows).

With `workers` > 1 (the CLI on a large site), forked processes each write a group of resource types (each file
is still written by one process, in the same order); building and validating resources is CPU-bound, so this
divides the time by up to the number of cores. The web kick-off stays in one process (its request's database
connection must not be closed under it).

`since` (the Bulk Data `_since`) keeps the patients with anything recorded about them at or after that time, as the
audit trail shows it (every change of a record is an audit event naming its patient), and exports all of their
resources: more than strictly changed, never less. `types` (`_type`) limits the files to those resource types.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
from django.db import connections, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.models import AuditEvent
from handregen.audit.services import audit_record
from handregen.interop.fhir.builders import BY_TYPE, patient_resources
from handregen.patients.models import Patient

BATCH = 200
MANIFEST = "manifest.json"
TYPES = ["Patient", *BY_TYPE]
PARALLEL_FROM = 1000  # patients: below this, forking costs more than it saves
# Resource types per worker, for two workers: each group holds about half the work (scores dominate).
GROUPS = [
    ["Patient", "Condition", "Encounter", "Procedure", "QuestionnaireResponse"],
    ["BiologicallyDerivedProduct", "Observation", "AdverseEvent", "Consent", "CarePlan"],
]


def site_patients(actor: Actor, since: datetime | None = None) -> Any:
    return _site_patients(actor.site.pk, since)


def _site_patients(site_id: Any, since: datetime | None = None) -> Any:
    patients = Patient.objects.filter(site_id=site_id)
    if since is not None:
        changed = AuditEvent.objects.filter(site_id=site_id, occurred_at__gte=since, patient_id__isnull=False)
        patients = patients.filter(pk__in=changed.values("patient_id"))
    return patients.select_related("site").order_by("mrn", "id")


def _batches(patients: Any, size: int) -> Iterator[Sequence[Patient]]:
    batch: list[Patient] = []
    for patient in patients.iterator(chunk_size=size):
        batch.append(patient)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def export_ndjson(
    *,
    actor: Actor,
    out: Path,
    request: str = "handregen export fhir",
    url_of: Callable[[str], str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH,
    workers: int = 1,
    since: datetime | None = None,
    types: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Write `<Type>.ndjson` for every type with resources and `manifest.json` into `out`; return the manifest.

    `url_of(file_name)` gives the manifest's file URL (the file name by default, for the CLI). `workers` > 1
    splits the resource types over the processes of `GROUPS` from `PARALLEL_FROM` patients, and only outside a
    transaction (a forked process would not see uncommitted rows, and the connections are closed before forking).
    """
    actor.require(Permission.BULK_EXPORT)
    out.mkdir(parents=True, exist_ok=True)
    started = timezone.now()
    chosen = [t for t in TYPES if types is None or t in types]
    total = site_patients(actor, since).count()
    if workers > 1 and total >= PARALLEL_FROM and not transaction.get_connection().in_atomic_block:
        counts = _write_in_workers(actor.site.pk, out, batch_size, total, progress, since, chosen)
    else:
        counts = _write_types(actor.site.pk, out, chosen, batch_size, total, progress, since)
    counts = {t: counts[t] for t in chosen}
    for resource_type, n in counts.items():
        if n == 0:
            (out / f"{resource_type}.ndjson").unlink()
    name = url_of or (lambda file_name: file_name)
    manifest = {
        "transactionTime": started.isoformat(),
        "request": request,
        "requiresAccessToken": url_of is not None,
        "output": [{"type": t, "url": name(f"{t}.ndjson"), "count": n} for t, n in counts.items() if n],
        "error": [],
    }
    (out / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export.fhir",
            object_type="site",
            object_id=actor.site.pk,
            changes={
                "resources": {t: n for t, n in counts.items() if n},
                "patients": total,
                "request": request,
                "since": since.isoformat() if since else None,
            },
        )
    return manifest


def _write_types(
    site_id: Any,
    out: Path,
    types: Sequence[str],
    batch_size: int,
    total: int,
    progress: Callable[[int, int], None] | None,
    since: datetime | None = None,
) -> dict[str, int]:
    """Write `<Type>.ndjson` for each of `types` (all patient batches); return the count per type."""
    counts = dict.fromkeys(types, 0)
    done = 0
    builders = [(t, BY_TYPE[t]) for t in types if t != "Patient"]
    with ExitStack() as stack:
        files: dict[str, IO[bytes]] = {t: stack.enter_context((out / f"{t}.ndjson").open("wb")) for t in types}

        def write(resource_type: str, resources: list[dict[str, Any]]) -> None:
            if resources:
                files[resource_type].write(b"".join(orjson.dumps(r) + b"\n" for r in resources))
                counts[resource_type] += len(resources)

        for batch in _batches(_site_patients(site_id, since), batch_size):
            if "Patient" in counts:
                write("Patient", patient_resources(batch))
            for resource_type, build in builders:
                grouped = build(batch)
                write(resource_type, [r for p in batch for r in grouped.get(p.pk, [])])
            done += len(batch)
            if progress:
                progress(done, total)
    return counts


def _worker(
    site_id: Any, out: Path, types: list[str], batch_size: int, done: Any, results: Any, since: datetime | None
) -> None:
    """One forked worker: its own database connection, its group of types; counts and progress to the parent."""
    try:
        counts = _write_types(site_id, out, types, batch_size, 0, lambda n, _: setattr(done, "value", n), since)
        results.put(counts)
    finally:
        connections.close_all()


def _write_in_workers(
    site_id: Any,
    out: Path,
    batch_size: int,
    total: int,
    progress: Callable[[int, int], None] | None,
    since: datetime | None,
    chosen: list[str],
) -> dict[str, int]:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    connections.close_all()  # each process opens its own; a forked connection must not be shared
    workers = []
    groups = [[t for t in group if t in chosen] for group in GROUPS]
    for types in [g for g in groups if g]:
        done = context.Value("i", 0)
        process = context.Process(target=_worker, args=(site_id, out, types, batch_size, done, results, since))
        process.start()
        workers.append((process, done))
    counts: dict[str, int] = {}
    while len(counts) < len(chosen):
        if progress:
            progress(min(done.value for _, done in workers), total)
        if any(p.exitcode not in (None, 0) for p, _ in workers):
            raise RuntimeError("A FHIR export worker failed; see its error above. No manifest was written.")
        while not results.empty():
            counts.update(results.get())
        time.sleep(0.1)
    for process, _ in workers:
        process.join()
    return counts
