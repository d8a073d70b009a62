"""Worker heartbeats and the slots of scheduled work already queued (so several workers queue each slot once)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from handregen.records import REFERENCE


class WorkerBeat(models.Model):
    """One running `handregen worker`: it updates `beat_at` every HANDREGEN_WORKER_BEAT_SECONDS, also while a long
    job runs. A worker silent for HANDREGEN_WORKER_LOST_AFTER_SECONDS is taken as lost with its running job.
    Operational state, not a record of care: it changes in place and its row goes when the worker stops."""

    record_kind: ClassVar[str] = REFERENCE
    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.host}"


class ScheduledRun(models.Model):
    """A slot of a periodic job (its name and the start of its interval) that some worker has queued. The unique
    pair lets only the first worker in; the others find the row and queue nothing."""

    record_kind: ClassVar[str] = REFERENCE
    name = models.CharField(max_length=64)
    slot = models.DateTimeField()
    task_result_id = models.CharField(max_length=64)
    queued_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="one_run_per_schedule_slot")]

    def __str__(self) -> str:
        return f"{self.name} at {self.slot:%Y-%m-%d %H:%M}"
