"""FHIR Bulk Data export: one NDJSON file per resource type for the actor's site, with a manifest.

Set-based: patients are read in batches (ordered by MRN, so two exports of the same data list resources in
the same order) and each resource type is built with one query per batch (`builders.BY_TYPE`). Files are
streamed, one resource per line, with orjson; empty types get no file (as the Bulk Data spec allows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import orjson
from django.db import transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.interop.fhir.builders import BY_TYPE, patient_resource
from handregen.patients.models import Patient

BATCH = 200
MANIFEST = "manifest.json"
TYPES = ["Patient", *BY_TYPE]


def site_patients(actor: Actor) -> Any:
    return Patient.objects.filter(site=actor.site).select_related("site").order_by("mrn", "id")


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
) -> dict[str, Any]:
    """Write `<Type>.ndjson` for every type with resources and `manifest.json` into `out`; return the manifest.

    `url_of(file_name)` gives the manifest's file URL (the file name by default, for the CLI).
    """
    actor.require(Permission.PATIENT_VIEW)
    out.mkdir(parents=True, exist_ok=True)
    started = timezone.now()
    patients = site_patients(actor)
    total = patients.count()
    counts = dict.fromkeys(TYPES, 0)
    done = 0
    with ExitStack() as stack:
        files: dict[str, IO[bytes]] = {t: stack.enter_context((out / f"{t}.ndjson").open("wb")) for t in TYPES}

        def write(resource_type: str, resources: list[dict[str, Any]]) -> None:
            if resources:
                files[resource_type].write(b"".join(orjson.dumps(r) + b"\n" for r in resources))
                counts[resource_type] += len(resources)

        for batch in _batches(patients, batch_size):
            write("Patient", [patient_resource(p) for p in batch])
            for resource_type, build in BY_TYPE.items():
                grouped = build(batch)
                write(resource_type, [r for p in batch for r in grouped.get(p.pk, [])])
            done += len(batch)
            if progress:
                progress(done, total)
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
            changes={"resources": {t: n for t, n in counts.items() if n}, "patients": total, "request": request},
        )
    return manifest
