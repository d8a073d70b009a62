"""`handregen worker`: django-tasks' database worker with a heartbeat thread beside it.

The heartbeat thread (its own database connection) writes the worker's `WorkerBeat` every
HANDREGEN_WORKER_BEAT_SECONDS, also while a long job runs, recovers the jobs of lost workers and queues the
scheduled work that is due. The main thread takes one ready job at a time (a locked claim: on PostgreSQL
`SELECT … FOR UPDATE SKIP LOCKED`, on SQLite an exclusive transaction), so each job runs in one worker only.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from handregen.jobs.models import WorkerBeat
from handregen.jobs.recovery import lost_jobs_recover
from handregen.jobs.schedule import schedule_due

logger = logging.getLogger(__name__)
QUEUE = "default"


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def beat(worker_id: str) -> None:
    now = timezone.now()
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now},
        create_defaults={"beat_at": now, "started_at": now, "host": socket.gethostname()[:255], "pid": os.getpid()},
    )


def heartbeat_tick(worker_id: str) -> None:
    """One round of the heartbeat thread: beat, recover lost workers' jobs, queue due scheduled work."""
    beat(worker_id)
    lost_jobs_recover()
    schedule_due()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Heartbeat(threading.Thread):
    def __init__(self, worker_id: str, exit_with: int | None = None) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.exit_with = exit_with
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.wait(settings.HANDREGEN_WORKER_BEAT_SECONDS):
                if self.exit_with and not _alive(self.exit_with):
                    os.kill(os.getpid(), signal.SIGTERM)  # the graceful stop: the running job ends first
                    return
                try:
                    close_old_connections()
                    heartbeat_tick(self.worker_id)
                except Exception:
                    logger.exception("worker %s: heartbeat failed; trying again", self.worker_id)
        finally:
            connection.close()


def worker_run(
    *, worker_id: str, interval: float, batch: bool = False, max_tasks: int | None = None, exit_with: int | None = None
) -> None:
    """Run jobs until stopped (SIGTERM/SIGINT finish the running job first), or the queue is empty with `batch`,
    or the process `exit_with` has ended."""
    heartbeat_tick(worker_id)
    heart = Heartbeat(worker_id, exit_with)
    heart.start()
    worker = Worker(
        queue_names=[QUEUE],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    worker.configure_signals()
    try:
        worker.run()
    finally:
        heart.stopping.set()
        heart.join(timeout=10)
        WorkerBeat.objects.filter(worker_id=worker_id).delete()  # a clean stop is not a lost worker


def ready_jobs_run(worker_id: str = "inline") -> int:
    """Run the ready jobs in this process and transaction, one by one, as a worker would; return how many.
    For tests: unlike the worker loop it never closes the database connection (a test's transaction stays)."""
    worker = Worker(
        queue_names=[QUEUE],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    count = 0
    while (job := DBTaskResult.objects.ready().filter(queue_name=QUEUE).first()) is not None:
        job.claim(worker_id)
        worker.run_task(job)
        count += 1
    return count
