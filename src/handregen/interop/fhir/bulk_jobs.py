"""FHIR Bulk Data `$export` as a background job (decision records 0007 and 0008).

The kick-off (`export_request`) checks the permission and the per-user limits, writes a `BulkExportRequest` and
queues the `fhir_export` job in the same transaction, and the view answers 202 at once. A `handregen worker`, on any
machine, runs the export (`export_run`) into a scratch folder and then puts the files into the "files" store
(Django's storage API: a shared folder or an object store, so every app server serves them). It ends in a
`BulkExportJob` with the manifest or a `BulkExportFailure` with the reason; `BulkExportProgress` says how far it is.

Only the requester and the site's administrators see a job (anyone else of the site gets "not found"). A `DELETE`
cancels it (`BulkExportCancellation`): a running export stops at its next batch; the files of a finished one go.
Files are deleted HANDREGEN_BULK_RETENTION_HOURS after the export finished, by the scheduled `export_cleanup`
(`BulkExportRemoval`). Every kick-off, download, cancellation and removal is an audit event.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site, User
from handregen.accounts.roles import Permission
from handregen.accounts.selectors import actor_for
from handregen.audit.services import audit_record
from handregen.errors import Forbidden, GuardRefused, InvalidInput
from handregen.interop.fhir.bulk import TYPES, export_ndjson
from handregen.interop.models import (
    BulkExportCancellation,
    BulkExportFailure,
    BulkExportJob,
    BulkExportProgress,
    BulkExportRemoval,
    BulkExportRequest,
)

logger = logging.getLogger(__name__)
FOLDER = "fhir-bulk"
KICK_OFF_PARAMS = {"_outputFormat", "_since", "_type"}
NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}


class ExportLimitReached(GuardRefused):
    """A user asked for more exports than the limits allow; `retry_after` in seconds."""

    def __init__(self, reason: str, retry_after: int):
        super().__init__([reason])
        self.retry_after = retry_after


class ExportCancelled(Exception):
    """Raised inside a running export when its cancellation is found."""


@dataclass(frozen=True)
class ExportParams:
    since: datetime | None
    types: list[str] | None


def store() -> Storage:
    return storages["files"]


def group_id(site: Site) -> str:
    """The id of the Group of all of a site's patients (`Group/[id]/$export`); FHIR ids allow no underscore."""
    return f"site-{site.code.replace('_', '-')}"


def export_params(query: Mapping[str, Sequence[str]]) -> ExportParams:
    """The kick-off's `_since` and `_type`, checked; InvalidInput naming the parameter otherwise."""
    unknown = sorted(set(query) - KICK_OFF_PARAMS)
    if unknown:
        raise InvalidInput([(name, "this $export parameter is not supported") for name in unknown])
    output_format = (query.get("_outputFormat") or ["application/fhir+ndjson"])[-1]
    if output_format not in NDJSON_FORMATS:
        raise InvalidInput([("_outputFormat", "only application/fhir+ndjson is written")])
    since = None
    if query.get("_since"):
        raw = query["_since"][-1]
        try:
            since = parse_datetime(raw)
        except ValueError:
            since = None
        if since is None or since.tzinfo is None:
            raise InvalidInput([("_since", "give an instant with a time zone, e.g. 2026-01-31T00:00:00Z")])
    types = None
    if query.get("_type"):
        types = [t.strip() for value in query["_type"] for t in value.split(",") if t.strip()]
        wrong = [t for t in types if t not in TYPES]
        if wrong:
            raise InvalidInput([("_type", f"not exported here: {', '.join(wrong)}; exported: {', '.join(TYPES)}")])
    return ExportParams(since=since, types=types)


def _unfinished(requests: QuerySet[BulkExportRequest]) -> QuerySet[BulkExportRequest]:
    return requests.filter(failure__isnull=True, cancellation__isnull=True).exclude(
        pk__in=BulkExportJob.objects.values("pk")
    )


def _check_limits(actor: Actor) -> None:
    """At most HANDREGEN_BULK_MAX_RUNNING_PER_USER unfinished and HANDREGEN_BULK_MAX_PER_HOUR in an hour."""
    mine = BulkExportRequest.objects.filter(requested_by=actor.user)
    running = _unfinished(mine).count()
    if running >= settings.HANDREGEN_BULK_MAX_RUNNING_PER_USER:
        raise ExportLimitReached(
            f"You have {running} export(s) still running; wait until it ends (or cancel it) before starting another.",
            retry_after=60,
        )
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = list(
        mine.filter(requested_at__gte=hour_ago).order_by("requested_at").values_list("requested_at", flat=True)
    )
    if len(recent) >= settings.HANDREGEN_BULK_MAX_PER_HOUR:
        wait = int((recent[0] - hour_ago).total_seconds()) + 1
        raise ExportLimitReached(
            f"You started {len(recent)} exports in the last hour, the most allowed; "
            f"try again in {wait // 60 + 1} minutes.",
            retry_after=wait,
        )


def export_request(
    *, actor: Actor, level: str, request_url: str, bulk_url: str, params: ExportParams
) -> BulkExportRequest:
    """Record a kick-off (audited) and queue its export in the same transaction; the files' URLs will be
    `<bulk_url><job id>/<Type>.ndjson`. Refused without the bulk export permission or past the limits."""
    from handregen.interop.fhir.bulk_tasks import fhir_export

    actor.require(Permission.BULK_EXPORT)
    request_id = uuid.uuid4()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.user.pk).first()  # one kick-off per user at a time
        _check_limits(actor)
        request = BulkExportRequest.objects.create(
            id=request_id,
            site=actor.site,
            requested_by=actor.user,
            requested_at=timezone.now(),
            level=level,
            request_url=request_url[:500],
            files_url=f"{bulk_url}{request_id}/"[:500],
        )
        audit_record(
            actor=actor,
            action="export.fhir_requested",
            object_type="bulk_export",
            object_id=request.pk,
            changes={
                "level": level,
                "since": params.since.isoformat() if params.since else None,
                "types": params.types,
            },
        )
        fhir_export.enqueue(str(request.pk))
    return request


def _finished(request: BulkExportRequest) -> bool:
    return (
        BulkExportJob.objects.filter(pk=request.pk).exists()
        or BulkExportFailure.objects.filter(request=request).exists()
        or BulkExportCancellation.objects.filter(request=request).exists()
    )


def export_run(request_id: uuid.UUID) -> None:
    """Run one requested export to its end: the job with its manifest, or the failure with its reason. Safe to
    run again (a worker lost half-way): a finished request is left as it is, and files are written anew."""
    request = BulkExportRequest.objects.select_related("requested_by", "site").get(pk=request_id)
    if _finished(request):
        return
    try:
        actor = actor_for(user=request.requested_by, site_code=request.site.code)
        if actor is None:
            raise Forbidden("The user who asked for this export no longer has a role at this site.")
        query = parse_qs(urlsplit(request.request_url).query, keep_blank_values=True)
        params = export_params(query)
        with tempfile.TemporaryDirectory(prefix="fhir-export-") as scratch:
            manifest = export_ndjson(
                actor=actor,
                out=Path(scratch),
                request=request.request_url,
                url_of=lambda file_name: f"{request.files_url}{file_name}",
                progress=lambda done, total: _progress(request, done, total),
                since=params.since,
                types=params.types,
            )
            stored = _store_files(request.pk, Path(scratch), [o["type"] for o in manifest["output"]])
        if BulkExportCancellation.objects.filter(request=request).exists():  # cancelled while the files went up
            for name in stored:
                store().delete(name)
            raise ExportCancelled
    except ExportCancelled:
        return
    except (Forbidden, InvalidInput) as exc:
        _failed(request, str(exc))
        return
    except Exception as exc:
        logger.exception("FHIR bulk export %s failed (%s)", request_id, type(exc).__name__)
        _failed(request, "The export failed on the server; the site administrator can find why in the server log.")
        return
    try:
        with transaction.atomic():
            BulkExportJob.objects.create(
                id=request.pk,
                site=request.site,
                requested_by=request.requested_by,
                requested_at=request.requested_at,
                level=request.level,
                request_url=request.request_url,
                manifest=manifest,
                completed_at=timezone.now(),
            )
    except IntegrityError:
        return  # another runner finished it first


def _progress(request: BulkExportRequest, done: int, total: int) -> None:
    if BulkExportCancellation.objects.filter(request=request).exists():
        raise ExportCancelled
    BulkExportProgress.objects.update_or_create(
        request=request, defaults={"done": done, "total": total, "updated_at": timezone.now()}
    )


def _store_files(job_id: uuid.UUID, scratch: Path, types: list[str]) -> list[str]:
    files = store()
    names = []
    for resource_type in types:
        name = f"{FOLDER}/{job_id}/{resource_type}.ndjson"
        files.delete(name)  # a retried export writes its files anew, under the same names
        with (scratch / f"{resource_type}.ndjson").open("rb") as handle:
            names.append(files.save(name, File(handle)))
    return names


def _failed(request: BulkExportRequest, reason: str) -> None:
    try:
        with transaction.atomic():
            BulkExportFailure.objects.create(request=request, failed_at=timezone.now(), reason=reason[:500])
            audit_record(
                actor=None,
                site=request.site,
                action="export.fhir_failed",
                object_type="bulk_export",
                object_id=request.pk,
                changes={"reason": reason[:500]},
            )
    except IntegrityError:
        pass


def export_given_up(request_id: uuid.UUID, reason: str) -> None:
    """The export's job was given up (its worker was lost too often): say so on its status URL."""
    request = BulkExportRequest.objects.filter(pk=request_id).first()
    if request is not None and not _finished(request):
        _failed(request, reason)


def _visible(actor: Actor) -> Q:
    """The exports an actor may see: their own, or every one of their site for those who oversee exports."""
    if actor.can(Permission.BULK_EXPORT_OVERSEE):
        return Q(site=actor.site)
    return Q(site=actor.site, requested_by=actor.user)


def _request(actor: Actor, job_id: str) -> BulkExportRequest | None:
    try:
        uuid.UUID(job_id)
    except ValueError:
        return None
    if not actor.can(Permission.BULK_EXPORT):
        return None
    return BulkExportRequest.objects.filter(_visible(actor), pk=job_id).first()


def expires_at(job: BulkExportJob) -> datetime:
    return job.completed_at + timedelta(hours=settings.HANDREGEN_BULK_RETENTION_HOURS)


State = tuple[Literal["running", "done", "failed"], Any]


def export_state(*, actor: Actor, job_id: str) -> State | None:
    """Where the export `job_id` is, for one who may see it: running (with (done, total) or None), done (the job)
    or failed (the reason); None when there is no such job for them, or it was cancelled or its files expired."""
    request = _request(actor, job_id)
    if request is None or BulkExportCancellation.objects.filter(request=request).exists():
        return None
    job = BulkExportJob.objects.filter(pk=request.pk).first()
    if job is not None:
        if BulkExportRemoval.objects.filter(job_id=job.pk).exists() or expires_at(job) <= timezone.now():
            return None
        return ("done", job)
    failure = BulkExportFailure.objects.filter(request=request).first()
    if failure is not None:
        return ("failed", failure.reason)
    progress = BulkExportProgress.objects.filter(request=request).first()
    return ("running", (progress.done, progress.total) if progress else None)


def export_file_open(*, actor: Actor, job_id: str, resource_type: str) -> tuple[IO[bytes], datetime] | None:
    """The file of a finished, unexpired export the actor may see, opened, with its expiry; the download is an
    audit event. None when there is no such file for them."""
    state = export_state(actor=actor, job_id=job_id)
    if state is None or state[0] != "done" or resource_type not in TYPES:
        return None
    job: BulkExportJob = state[1]
    if resource_type not in {o["type"] for o in job.manifest.get("output", [])}:
        return None
    handle = store().open(f"{FOLDER}/{job.pk}/{resource_type}.ndjson", "rb")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export.fhir_downloaded",
            object_type="bulk_export",
            object_id=job.pk,
            changes={"type": resource_type},
        )
    return handle, expires_at(job)


def export_cancel(*, actor: Actor, job_id: str) -> bool:
    """Cancel an export the actor may see (`DELETE` on its status URL): a running one stops at its next batch,
    a finished one's files are deleted now. False when there is no such export for them."""
    request = _request(actor, job_id)
    if request is None or BulkExportCancellation.objects.filter(request=request).exists():
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                BulkExportCancellation.objects.create(
                    request=request, cancelled_at=timezone.now(), cancelled_by=actor.user
                )
        except IntegrityError:
            return False
        audit_record(actor=actor, action="export.fhir_cancelled", object_type="bulk_export", object_id=request.pk)
    if BulkExportJob.objects.filter(pk=request.pk).exists():
        _remove_files(request.pk, request.site, "cancelled")
    return True


def _remove_files(job_id: uuid.UUID, site: Site, why: str) -> int:
    """Delete an export's files from the store and record it (once; audited as the system's act)."""
    files = store()
    folder = f"{FOLDER}/{job_id}"
    try:
        _dirs, names = files.listdir(folder)
    except FileNotFoundError:
        names = []
    for name in names:
        files.delete(f"{folder}/{name}")
    try:
        with transaction.atomic():
            BulkExportRemoval.objects.create(
                job_id=job_id, site=site, removed_at=timezone.now(), why=why, files=len(names)
            )
            audit_record(
                actor=None,
                site=site,
                action="export.fhir_files_removed",
                object_type="bulk_export",
                object_id=job_id,
                changes={"why": why, "files": len(names)},
            )
    except IntegrityError:
        pass  # removed by another worker at the same time
    return len(names)


def export_cleanup(now: datetime | None = None) -> dict[str, int]:
    """Delete the files of expired exports and of cancelled ones not yet removed (scheduled work)."""
    now = now or timezone.now()
    removed = BulkExportRemoval.objects.values("job_id")
    cutoff = now - timedelta(hours=settings.HANDREGEN_BULK_RETENTION_HOURS)
    expired = BulkExportJob.objects.filter(completed_at__lte=cutoff).exclude(pk__in=removed).select_related("site")
    counts = {"expired": 0, "cancelled": 0, "files": 0}
    for job in expired:
        counts["files"] += _remove_files(job.pk, job.site, "expired")
        counts["expired"] += 1
    cancelled = (
        BulkExportRequest.objects.filter(cancellation__isnull=False).exclude(pk__in=removed).select_related("site")
    )
    for request in cancelled:
        counts["files"] += _remove_files(request.pk, request.site, "cancelled")
        counts["cancelled"] += 1
    return counts


def waiting_requests(*, stale_after: timedelta) -> list[uuid.UUID]:
    """Requests not finished, asked for at least `stale_after` ago, oldest first."""
    return list(
        _unfinished(BulkExportRequest.objects.filter(requested_at__lte=timezone.now() - stale_after))
        .order_by("requested_at")
        .values_list("pk", flat=True)
    )
