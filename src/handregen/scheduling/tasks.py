"""Background jobs of the calendar, run by `handregen worker` (scheduled in handregen.jobs.schedule)."""

from __future__ import annotations

import logging

from django_tasks import task

from handregen.scheduling.messages import reminders_send

logger = logging.getLogger(__name__)


@task()
def appointment_reminders_run() -> dict[str, int]:
    """What `handregen appointment-reminders` does: the day-before reminders, each sent once (safe to rerun)."""
    sent = reminders_send()
    logger.info("appointment reminders: %d sent", sent)
    return {"sent": sent}
