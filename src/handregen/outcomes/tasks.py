"""Background jobs of outcomes, run by `handregen worker` (declared as scheduled work in handregen.jobs.schedule)."""

from __future__ import annotations

import logging

from django_tasks import task

from handregen.outcomes.reminders import reminders_send
from handregen.safety.services import alerts_email_pending

logger = logging.getLogger(__name__)


@task()
def reminders_run() -> dict[str, int]:
    """What `handregen remind` does: due invitations and reminders, and retried serious-event alert e-mails.
    Safe to run again after a crash: nothing is ever sent twice (see outcomes.reminders)."""
    report = reminders_send(progress=lambda line: None)
    alerts = alerts_email_pending()
    logger.info("reminders: %s; %d alert e-mail(s) sent on retry", report.summary(), alerts)
    return {"invitations": report.invitations, "reminders": report.reminders, "failed": report.failed, "alerts": alerts}
