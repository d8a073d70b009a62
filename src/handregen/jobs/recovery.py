"""Jobs whose worker was lost (killed, crashed, its machine lost power) are queued again or failed visibly.

django-tasks' database worker marks a job RUNNING when it takes it and SUCCESSFUL or FAILED when it ends; a worker
that dies in between leaves it RUNNING for ever. Every worker's heartbeat thread runs `lost_jobs_recover`: a
running job whose worker has been silent for HANDREGEN_WORKER_LOST_AFTER_SECONDS is set READY again (another
worker takes it), until it has been tried HANDREGEN_JOB_MAX_ATTEMPTS times; then it is FAILED with a plain reason,
and the task's `<name>_given_up(*args, **kwargs)` beside it in its module, if there is one, records the failure
where its users look (a bulk export's status answers it).

The jobs must therefore be safe to run again (every task here is: it checks what is already done first).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from handregen.jobs.models import WorkerBeat

logger = logging.getLogger(__name__)
GIVEN_UP = "handregen.jobs.recovery.WorkerLost"


@dataclass
class Recovered:
    requeued: list[str]
    failed: list[str]


def lost_after() -> timedelta:
    return timedelta(seconds=settings.HANDREGEN_WORKER_LOST_AFTER_SECONDS)


def given_up_reason(attempts: int) -> str:
    return (
        f"The worker running this job stopped before it ended, {attempts} time(s); it is not tried again. "
        "The site administrator can find why in the workers' log."
    )


def lost_jobs_recover(now: datetime | None = None) -> Recovered:
    """Queue again (or fail, after the last attempt) every running job whose worker is silent; say which."""
    now = now or timezone.now()
    silent_since = now - lost_after()
    alive = set(WorkerBeat.objects.filter(beat_at__gte=silent_since).values_list("worker_id", flat=True))
    done = Recovered([], [])
    given_up: list[DBTaskResult] = []
    with transaction.atomic():
        for job in DBTaskResult.objects.running().select_for_update(skip_locked=True):
            if (job.worker_ids and job.worker_ids[-1] in alive) or (job.started_at and job.started_at > silent_since):
                continue
            if len(job.worker_ids) < settings.HANDREGEN_JOB_MAX_ATTEMPTS:
                job.status = TaskResultStatus.READY
                job.save(update_fields=["status"])
                done.requeued.append(str(job.pk))
            else:
                job.status = TaskResultStatus.FAILED
                job.finished_at = now
                job.exception_class_path = GIVEN_UP
                job.traceback = given_up_reason(len(job.worker_ids))
                job.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                done.failed.append(str(job.pk))
                given_up.append(job)
    for job in given_up:
        _tell_the_task(job)
    for pk in done.requeued:
        logger.warning("job %s: its worker was lost; queued again", pk)
    for pk in done.failed:
        logger.error("job %s: its worker was lost too often; failed", pk)
    return done


def _tell_the_task(job: DBTaskResult) -> None:
    try:
        handler = import_string(f"{job.task_path}_given_up")
    except ImportError:
        return
    try:
        handler(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
    except Exception:
        logger.exception("job %s: recording that it was given up failed", job.pk)
