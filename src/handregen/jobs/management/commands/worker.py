"""`handregen worker`: run the background jobs (FHIR bulk exports, reminders, expired-file cleanup); see
decision record 0008. Run one or more beside the app servers, on any machine that reaches the database."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from handregen.jobs.worker import new_worker_id, worker_run


class Command(BaseCommand):
    help = "Run background jobs until stopped (SIGTERM lets the running job finish)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at an empty queue")
        parser.add_argument("--batch", action="store_true", help="stop when the queue is empty")
        parser.add_argument("--max-tasks", type=int, default=None, help="stop after this many jobs")
        parser.add_argument("--worker-id", default="", help="a name for this worker (default: host-pid-random)")
        parser.add_argument("--exit-with", type=int, default=None, help="stop when the process with this id ends")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("django_tasks_db").setLevel(logging.INFO)
        worker_id = (options["worker_id"] or new_worker_id())[:64]
        self.stdout.write(f"worker {worker_id} started")
        worker_run(
            worker_id=worker_id,
            interval=options["interval"],
            batch=options["batch"],
            max_tasks=options["max_tasks"],
            exit_with=options["exit_with"],
        )
