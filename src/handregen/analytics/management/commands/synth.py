"""`handregen synth --patients N --seed S [--site CODE]`: write a synthetic registry (clearly marked made-up
patients) for demos, tests and benchmarks; running the same seed again adds nothing."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from handregen.accounts.models import Site
from handregen.accounts.services import site_ensure
from handregen.pathway.services import protocol_sync_shipped

NEW_SITE_FACILITY_CODE = "X9990"  # a placeholder of the facility code's shape (cellproducts.identifiers)
PARALLEL_FROM = 2000  # patients: below this, one process is as quick


class Command(BaseCommand):
    help = "Write synthetic patients (is_synthetic, MRN SYN<seed>-<n>) through every stage of the pathway."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, required=True, help="how many synthetic patients")
        parser.add_argument("--seed", type=int, required=True, help="the same seed gives the same patients")
        parser.add_argument("--site", default="demo", help="site code (created when missing; default demo)")
        parser.add_argument(
            "--workers",
            type=int,
            default=0,
            help="processes that build batches while another writes (default: up to 3 for 2,000 patients or more)",
        )
        parser.add_argument(
            "--i-know-this-is-synthetic",
            action="store_true",
            dest="confirmed",
            help="needed with HANDREGEN_ENV=production: made-up patients in a production database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from handregen.analytics.synthetic.writer import SynthError, synth_registry

        if settings.PRODUCTION and not options["confirmed"]:
            raise CommandError(
                "This is a production installation (HANDREGEN_ENV=production); synthetic patients would sit next "
                "to real ones. Add --i-know-this-is-synthetic if that is what you want."
            )
        count, seed, code = options["patients"], options["seed"], options["site"]
        if count < 0 or seed < 0 or options["workers"] < 0:
            raise CommandError("--patients, --seed and --workers must be 0 or more.")
        workers = options["workers"] or (min(3, os.cpu_count() or 1) if count >= PARALLEL_FROM else 1)
        protocol_sync_shipped()
        site = Site.objects.filter(code=code).first()
        if site is None:
            site = site_ensure(code=code, name=f"Synthetic clinic {code}", facility_code=NEW_SITE_FACILITY_CODE)
            self.stdout.write(f"Created site {code} for the synthetic registry.")
        console = Console(stderr=True)
        columns = (
            TextColumn("[bold]synthetic patients"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        try:
            with Progress(*columns, console=console, transient=False) as bar:
                task = bar.add_task("synth", total=count)
                summary = synth_registry(
                    site=site,
                    count=count,
                    seed=seed,
                    workers=workers,
                    progress=lambda done, total: bar.update(task, completed=done),
                )
        except SynthError as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
