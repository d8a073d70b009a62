"""Migration import: a whole registry exported by handregen (`handregen export fhir`, one NDJSON file per
resource type) rebuilt at another site, so that exporting it there gives the same NDJSON.

Unlike the everyday import (`interop.fhir.importer`, Patients and responses through the services), this writes
historical records directly, as the synthetic registry does: the live pathway's guards would refuse steps dated
in the past, and a migrated registry's records happened elsewhere. So:

- Only the site administrator may run it (`Permission.REGISTRY_IMPORT`).
- Every resource is validated with fhir.resources first (`survey`); any problem, in that pass or while the rows
  are built, refuses the whole import with one line per problem (file, line, resource, element) and writes
  nothing: the rows go in in one transaction.
- Ids are kept (UUIDs), so references and the next export's ids are the same. A record whose id is already
  here is left alone (importing twice writes nothing the second time); one at another site refuses the import.
- Each row gets its audit event (`audit.services.audited_bulk_create`, action `fhir.migration_import`, the batch
  id in `changes`), and the batch itself an `ImportBatch` row with the counts and the placeholders used for
  what the export does not carry (`rows.PLACEHOLDERS`).
- Set-based: resources are read per type in chunks, one query per chunk and model for the ids already here.
"""

from __future__ import annotations

import gc
import time as clock
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record, audited_bulk_create
from handregen.consent.models import ConsentDocument
from handregen.errors import InvalidInput
from handregen.interop.fhir.migration.rows import BUILD, PLACEHOLDERS, Context, Rows, Unbuildable, imaging_rows
from handregen.interop.fhir.migration.survey import ORDER, MigrationInputError, Survey, files_of, lines, survey
from handregen.interop.models import ImportBatch
from handregen.outcomes.models import FollowUp
from handregen.pathway.models import Episode, Protocol
from handregen.patients.models import Patient

ACTION = "fhir.migration_import"
REASON = "FHIR migration import"
CHUNK = 2000


@dataclass
class MigrationReport:
    batch_id: uuid.UUID
    resources: dict[str, int] = field(default_factory=dict)  # validated, by resource type
    created: Counter[str] = field(default_factory=Counter)  # rows written, by model
    unchanged: Counter[str] = field(default_factory=Counter)  # rows already here, by model
    seconds: float = 0.0
    validate_seconds: float = 0.0  # of which the first pass (reading and validating)

    @property
    def rows_written(self) -> int:
        return sum(self.created.values())


def registry_import(*, actor: Actor, path: Path, chunk: int = CHUNK, workers: int | None = None) -> MigrationReport:
    """Rebuild the registry exported under `path` at the actor's site; `InvalidInput` (nothing written) if any
    resource is invalid or cannot be rebuilt. `workers`: processes that validate (default: one per CPU)."""
    actor.require(Permission.REGISTRY_IMPORT)
    collecting = gc.isenabled()
    gc.disable()  # many young objects that live until their chunk is written: no cycles worth looking for
    try:
        return _import(actor, path, chunk, workers)
    finally:
        if collecting:
            gc.enable()


def _import(actor: Actor, path: Path, chunk: int, workers: int | None) -> MigrationReport:
    started = clock.monotonic()
    found = survey(path, workers=workers)
    if found.problems:
        raise InvalidInput(found.problems)
    report = MigrationReport(batch_id=uuid.uuid4(), resources=dict(found.counts))
    report.validate_seconds = clock.monotonic() - started
    try:
        with transaction.atomic():
            ctx = _context(actor, found)
            for resource_type in ORDER:
                for rows in _chunks(ctx, path, resource_type, chunk):
                    _write(actor, ctx, rows, report)
            _record_batch(actor, path, report, ctx)
    except MigrationInputError as exc:
        raise InvalidInput(exc.problems) from None
    except IntegrityError as exc:  # a reference the checks above did not catch; nothing was written
        raise InvalidInput([("export", f"a record refers to one that is not there ({exc})")]) from None
    report.seconds = clock.monotonic() - started
    return report


def _context(actor: Actor, found: Survey) -> Context:
    from handregen.consent.services import consent_document_ensure
    from handregen.outcomes.instruments import load_instrument
    from handregen.pathway.services import protocol_sync_shipped

    if set(found.episode_protocol.values()) - set(Protocol.objects.values_list("code", "version")):
        protocol_sync_shipped()
    protocols = {(p.code, p.version): p for p in Protocol.objects.all()}
    documents = {d.version: d for d in ConsentDocument.objects.all()}
    for version in found.consent_versions - set(documents):
        document = consent_document_ensure(version=version)
        if document is not None:
            documents[version] = document
    instruments = {}
    for code in found.instruments:
        try:
            loaded = load_instrument(code)
        except ValueError:
            continue  # the response naming it is refused with its place in the file
        instruments[code] = (loaded.version, loaded.label_set or "")
    return Context(
        site=actor.site,
        user=actor.user,
        now=timezone.now(),
        survey=found,
        protocols=protocols,
        documents=documents,
        instruments=instruments,
        product_cycles=found.product_cycles(),
    )


def _chunks(ctx: Context, path: Path, resource_type: str, size: int) -> Iterator[Rows]:
    """The rows of every resource of one type, `size` resources at a time; problems refuse the import."""
    if resource_type == "Observation":  # imaging stages; scores belong to their responses
        studies = list(ctx.survey.imaging.items())
        for start in range(0, len(studies), size):
            yield [
                row for study_id, study in studies[start : start + size] for row in imaging_rows(ctx, study_id, study)
            ]
        return
    file = files_of(path).get(resource_type)
    if file is None:
        return
    batch: list[tuple[int, dict[str, Any]]] = []
    for entry in lines(file):
        batch.append(entry)
        if len(batch) == size:
            yield _built(ctx, file.name, resource_type, batch)
            batch = []
    if batch:
        yield _built(ctx, file.name, resource_type, batch)


def _built(ctx: Context, file_name: str, resource_type: str, entries: list[tuple[int, dict[str, Any]]]) -> Rows:
    if resource_type == "QuestionnaireResponse":
        _load_follow_ups(ctx, {r["subject"]["reference"][8:] for _, r in entries})
    rows: Rows = []
    problems = []
    build = BUILD[resource_type]
    for number, resource in entries:
        try:
            rows.extend(build(ctx, resource))
        except Unbuildable as exc:
            problems.append((f"{file_name}:line {number} {resource_type}/{resource.get('id', '?')}", str(exc)))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            where = f"{file_name}:line {number} {resource_type}/{resource.get('id', '?')}"
            problems.append((where, f"missing or malformed element ({exc})"))
    problems.extend(_unknown_references(ctx, file_name, rows))
    if problems:
        raise MigrationInputError(problems)
    return rows


def _unknown_references(ctx: Context, file_name: str, rows: Rows) -> list[tuple[str, str]]:
    """Rows pointing to a patient or episode that is neither in the export nor at this site (one query each)."""
    problems: list[tuple[str, str]] = []
    for attribute, model, known in (
        ("patient_id", Patient, ctx.survey.patients),
        ("episode_id", Episode, ctx.survey.episodes),
    ):
        wanted = {str(getattr(row, attribute)) for row in rows if hasattr(row, attribute)} - set(known)
        if not wanted:
            continue
        here = {str(pk) for pk in model.objects.filter(site=ctx.site, pk__in=wanted).values_list("pk", flat=True)}
        problems.extend(
            (f"{file_name}: {model.__name__} {pk}", "referred to, but neither in this export nor at this site")
            for pk in sorted(wanted - here)[:20]
        )
    return problems


def _load_follow_ups(ctx: Context, patient_ids: set[str]) -> None:
    """The follow-ups of these patients at the site, by (patient, cycle, time point), latest episode last."""
    ctx.follow_ups = {}
    for follow_up, patient, episode, cycle, timepoint in (
        FollowUp.objects.filter(site=ctx.site, patient_id__in=patient_ids, superseded_at__isnull=True)
        .order_by("episode__created_at", "episode_id")
        .values_list("id", "patient_id", "episode_id", "cycle", "timepoint")
    ):
        ctx.follow_ups.setdefault((str(patient), cycle, timepoint), []).append((str(episode), str(follow_up)))


def _write(actor: Actor, ctx: Context, rows: Rows, report: MigrationReport) -> None:
    """Insert the rows not here yet, model by model (in the order built), each with its audit event."""
    by_model: dict[type[models.Model], Rows] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    skipped_products: set[Any] = set()
    for model, objects in by_model.items():
        name = model.__name__
        here = _already_here(ctx, model, objects, skipped_products)
        new = [o for o in objects if _key(o) not in here]
        if model.__name__ == "CellProduct":
            skipped_products = {o.pk for o in objects if _key(o) in here}
        report.unchanged[name] += len(objects) - len(new)
        if not new:
            continue
        audited_bulk_create(
            actor=actor,
            site=ctx.site,
            action=ACTION,
            objects=new,
            describe=lambda obj: _described(obj, report.batch_id),
            keep_dates=True,
        )
        report.created[name] += len(new)


def _key(obj: Any) -> Any:
    if isinstance(obj, FollowUp):
        return (obj.episode_id, obj.cycle, obj.timepoint)
    if type(obj).__name__ == "ProcessingRecord":
        return obj.product.pk
    return obj.pk


def _already_here(ctx: Context, model: type[models.Model], objects: Rows, skipped: set[Any]) -> set[Any]:
    """Keys of `objects` the database holds already; a key at another site refuses the import."""
    if model is FollowUp:
        episodes = {o.episode_id for o in objects}  # type: ignore[attr-defined]
        return set(FollowUp.objects.filter(episode_id__in=episodes).values_list("episode_id", "cycle", "timepoint"))
    if model.__name__ == "ProcessingRecord":
        return {o.product.pk for o in objects if o.product.pk in skipped}  # type: ignore[attr-defined]
    found = dict(model._default_manager.filter(pk__in=[o.pk for o in objects]).values_list("pk", "site_id"))
    elsewhere = [pk for pk, site in found.items() if site != ctx.site.pk]
    if elsewhere:
        raise MigrationInputError(
            [(f"{model.__name__} {pk}", "this id belongs to a record of another site") for pk in elsewhere[:20]]
        )
    return set(found)


def _described(obj: Any, batch_id: uuid.UUID) -> dict[str, Any]:
    model = type(obj).__name__
    patient = obj.pk if model == "Patient" else getattr(obj, "patient_id", None)
    episode = obj.pk if model == "Episode" else getattr(obj, "episode_id", None)
    if model == "ProcessingRecord":
        patient, episode = obj.product.patient_id, obj.product.episode_id
    return {
        "object_type": model.lower(),
        "object_id": obj.pk,
        "changes": {"import_batch": str(batch_id)},
        "patient_id": patient,
        "episode_id": episode,
        "reason": REASON,
    }


def _record_batch(actor: Actor, path: Path, report: MigrationReport, ctx: Context) -> None:
    placeholders = {m: PLACEHOLDERS[m] for m in report.created if m in PLACEHOLDERS}
    if report.created:
        placeholders["Authors"] = PLACEHOLDERS["Authors"]
    batch = ImportBatch.objects.create(
        id=report.batch_id,
        site=actor.site,
        imported_by=actor.user,
        source=path.name[:300],
        started_at=ctx.now,
        finished_at=timezone.now(),
        created=dict(report.created),
        unchanged=dict(report.unchanged),
        placeholders=placeholders,
    )
    audit_record(
        actor=actor,
        action="fhir.migration_import_batch",
        object_type="import_batch",
        object_id=batch.pk,
        changes={"source": batch.source, "created": batch.created, "unchanged": batch.unchanged},
        reason=REASON,
    )
