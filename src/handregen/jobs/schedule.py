"""Scheduled work, declared here in code (not in a crontab line): each periodic job and the setting that holds
its interval in seconds (0 turns it off). Every worker calls `schedule_due` from its heartbeat; the first to
reach a slot (the interval the current time falls in) queues the job, and the `ScheduledRun` unique key keeps
the others from queuing it again, whatever the number of workers and app servers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from handregen.jobs.models import ScheduledRun

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Periodic:
    name: str
    task_path: str  # a django-tasks Task that takes no arguments
    every_setting: str

    def every(self) -> int:
        return int(getattr(settings, self.every_setting))


SCHEDULE = (
    Periodic("questionnaire reminders", "handregen.outcomes.tasks.reminders_run", "HANDREGEN_REMIND_EVERY_SECONDS"),
    Periodic(
        "appointment reminders",
        "handregen.scheduling.tasks.appointment_reminders_run",
        "HANDREGEN_APPOINTMENT_REMIND_EVERY_SECONDS",
    ),
    Periodic(
        "expired export files",
        "handregen.interop.fhir.bulk_tasks.export_cleanup_run",
        "HANDREGEN_EXPORT_CLEANUP_EVERY_SECONDS",
    ),
)


def slot_of(now: datetime, every: int) -> datetime:
    """The start of the `every`-second interval (counted from EPOCH) that `now` falls in."""
    seconds = int((now - EPOCH).total_seconds())
    return datetime.fromtimestamp(EPOCH.timestamp() + seconds - seconds % every, tz=UTC)


def schedule_due(now: datetime | None = None) -> list[str]:
    """Queue each periodic job whose current slot no worker has queued yet; return the names queued."""
    now = now or timezone.now()
    queued = []
    for periodic in SCHEDULE:
        every = periodic.every()
        if every <= 0:
            continue
        slot = slot_of(now, every)
        if ScheduledRun.objects.filter(name=periodic.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                result = import_string(periodic.task_path).enqueue()
                ScheduledRun.objects.create(name=periodic.name, slot=slot, task_result_id=result.id, queued_at=now)
        except IntegrityError:
            continue  # another worker queued this slot first; its job (ours rolled back with the row) runs once
        queued.append(periodic.name)
    return queued
