"""FHIR Bulk Data `$export` run outside the kick-off request (decision record 0007).

The kick-off writes a `BulkExportRequest` and answers 202 at once. After its transaction commits, a daemon
thread of the same process runs the export (`export_run`), unless `settings.FHIR_BULK_IN_PROCESS` is False; then
`handregen export-jobs` runs the waiting requests (from a timer). The command also finishes requests left waiting
longer than `--stale-after` seconds, e.g. by a server restarted in the middle of an export.

While it runs, `<job folder>/progress` holds "done total" (patients), which the status URL turns into
X-Progress. The export ends in a `BulkExportJob` with the manifest, or a `BulkExportFailure` with the reason.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.selectors import actor_for
from handregen.audit.services import audit_record
from handregen.errors import Forbidden
from handregen.interop.fhir.bulk import export_ndjson
from handregen.interop.models import BulkExportFailure, BulkExportJob, BulkExportRequest

logger = logging.getLogger(__name__)
PROGRESS = "progress"


def jobs_dir() -> Path:
    return Path(settings.VAR_DIR) / "fhir-bulk"


def export_request(*, actor: Actor, level: str, request_url: str, bulk_url: str) -> BulkExportRequest:
    """Record a kick-off (audited) and start its export once the transaction commits; the files' URLs will be
    `<bulk_url><job id>/<Type>.ndjson`."""
    request_id = uuid.uuid4()
    with transaction.atomic():
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
            changes={"level": level},
        )
        if getattr(settings, "FHIR_BULK_IN_PROCESS", True):
            transaction.on_commit(lambda: _start_thread(request.pk))
    return request


def _start_thread(request_id: uuid.UUID) -> None:
    threading.Thread(target=_run_in_thread, args=(request_id,), name=f"fhir-export-{request_id}", daemon=True).start()


def _run_in_thread(request_id: uuid.UUID) -> None:
    try:
        export_run(request_id)
    finally:
        close_old_connections()


def export_run(request_id: uuid.UUID) -> None:
    """Run one requested export to its end: the job with its manifest, or the failure with its reason."""
    request = BulkExportRequest.objects.select_related("requested_by", "site").get(pk=request_id)
    if (
        BulkExportJob.objects.filter(pk=request_id).exists()
        or BulkExportFailure.objects.filter(request=request).exists()
    ):
        return  # finished by another runner
    out = jobs_dir() / str(request_id)
    try:
        out.mkdir(parents=True, exist_ok=True)
        actor = actor_for(user=request.requested_by, site_code=request.site.code)
        if actor is None:
            raise Forbidden("The user who asked for this export no longer has a role at this site.")

        def progress(done: int, total: int) -> None:
            (out / PROGRESS).write_text(f"{done} {total}")

        manifest = export_ndjson(
            actor=actor,
            out=out,
            request=request.request_url,
            url_of=lambda file_name: f"{request.files_url}{file_name}",
            progress=progress,
        )
    except Forbidden as exc:
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
    (out / PROGRESS).unlink(missing_ok=True)


def _failed(request: BulkExportRequest, reason: str) -> None:
    try:
        with transaction.atomic():
            BulkExportFailure.objects.create(request=request, failed_at=timezone.now(), reason=reason[:500])
    except IntegrityError:
        pass


def waiting_requests(*, stale_after: timedelta) -> list[uuid.UUID]:
    """Requests with no job and no failure, asked for at least `stale_after` ago, oldest first."""
    return list(
        BulkExportRequest.objects.filter(requested_at__lte=timezone.now() - stale_after, failure__isnull=True)
        .exclude(pk__in=BulkExportJob.objects.values("pk"))
        .order_by("requested_at")
        .values_list("pk", flat=True)
    )


State = tuple[Literal["running", "done", "failed"], Any]


def export_state(*, actor: Actor, job_id: str) -> State | None:
    """Where the export `job_id` of the actor's site is: running (with "done total" or None), done (the
    manifest) or failed (the reason); None when the site has no such job."""
    try:
        uuid.UUID(job_id)
    except ValueError:
        return None
    job = BulkExportJob.objects.filter(pk=job_id, site=actor.site).first()
    if job is not None:
        return ("done", job.manifest)
    request = BulkExportRequest.objects.filter(pk=job_id, site=actor.site).select_related("failure").first()
    if request is None:
        return None
    failure = getattr(request, "failure", None)
    if failure is not None:
        return ("failed", failure.reason)
    progress = jobs_dir() / job_id / PROGRESS
    try:
        done, total = (int(n) for n in progress.read_text().split())
    except (OSError, ValueError):
        return ("running", None)
    return ("running", (done, total))
