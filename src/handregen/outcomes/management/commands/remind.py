"""`handregen remind`: e-mail due questionnaire invitations and reminders, by hand; `handregen worker` runs the
same on schedule (every HANDREGEN_REMIND_EVERY_SECONDS, declared in handregen.jobs.schedule), so no cron line.

Safe to rerun: each invitation and reminder is sent once per follow-up (see outcomes.reminders). Prints one
line per follow-up it looked at (ids and time-point codes only) and a summary. It also retries the e-mail of
any serious-adverse-event alert that could not be sent when the event was recorded.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from handregen.outcomes.reminders import reminders_send
from handregen.safety.services import alerts_email_pending


class Command(BaseCommand):
    help = "Send due questionnaire invitations and reminders by e-mail (never twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="print only the summary")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["quiet"]
        report = reminders_send(progress=(lambda line: None) if quiet else self.stdout.write)
        self.stdout.write(f"remind: {report.summary()}")
        alerts = alerts_email_pending()
        if alerts:
            self.stdout.write(f"remind: {alerts} serious-event alert e-mail(s) sent on retry.")
