"""The background jobs of FHIR bulk export, run by `handregen worker` (decision record 0008)."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django_tasks import task

from handregen.interop.fhir.bulk_jobs import export_cleanup, export_given_up, export_run
from handregen.jobs.recovery import given_up_reason

logger = logging.getLogger(__name__)


@task()
def fhir_export(request_id: str) -> None:
    export_run(uuid.UUID(request_id))


def fhir_export_given_up(request_id: str) -> None:
    """Called by the worker's recovery when the export's worker was lost on its last attempt."""
    export_given_up(uuid.UUID(request_id), given_up_reason(settings.HANDREGEN_JOB_MAX_ATTEMPTS))


@task()
def export_cleanup_run() -> dict[str, int]:
    """Scheduled: delete the files of expired and cancelled exports."""
    counts = export_cleanup()
    logger.info("export cleanup: %(expired)d expired and %(cancelled)d cancelled export(s), %(files)d file(s)", counts)
    return counts
