"""`handregen export-jobs`: run the FHIR `$export` requests still waiting (decision record 0007).

Where the server runs exports in its own threads (the default), this finishes the ones a restart interrupted:
those waiting longer than `--stale-after` seconds. With HANDREGEN_FHIR_BULK_IN_PROCESS=false, a timer runs it
with `--stale-after 0`, and it runs every waiting request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the FHIR bulk export requests that are still waiting."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-after",
            type=int,
            default=600,
            help="only requests waiting at least this many seconds (default 600; 0 for every waiting one)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from handregen.interop.fhir.bulk_jobs import export_run, waiting_requests
        from handregen.interop.models import BulkExportFailure, BulkExportJob

        waiting = waiting_requests(stale_after=timedelta(seconds=max(options["stale_after"], 0)))
        for request_id in waiting:
            export_run(request_id)
            failure = BulkExportFailure.objects.filter(request_id=request_id).first()
            if failure is not None:
                self.stderr.write(f"export {request_id} failed: {failure.reason}")
            elif BulkExportJob.objects.filter(pk=request_id).exists():
                self.stdout.write(f"export {request_id} done")
        self.stdout.write(f"{len(waiting)} waiting export(s) run")
