"""`handregen export csv|research|fhir --out DIR --user USERNAME`: tidy CSV tables with a data dictionary, the
de-identified research export with its manifest, or FHIR R4 NDJSON (Bulk Data style) with a manifest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from handregen.accounts.actor import Actor
from handregen.accounts.models import User
from handregen.accounts.selectors import actor_for
from handregen.errors import Forbidden


class Command(BaseCommand):
    help = "Export the site's data: csv (identified, staff), research (de-identified) or fhir (NDJSON, identified)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=["csv", "research", "fhir"])
        parser.add_argument("--out", required=True, type=Path, help="folder to write into")
        parser.add_argument("--user", required=True, help="export as this user (their site and role apply)")
        parser.add_argument("--site", help="site code when the user works at several sites")
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="fhir: processes that build resource types side by side (from 1,000 patients; default 2)",
        )
        parser.add_argument(
            "--include-synthetic",
            action="store_true",
            help="csv: keep synthetic (made-up) patients, marked in every table (left out by default)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        actor = actor_for(user=user, site_code=options["site"]) if user else None
        if actor is None:
            raise CommandError(f"No active user {options['user']} with a role at a site.")
        console = Console(stderr=True)
        try:
            if options["format"] == "fhir":
                self._fhir(actor, options["out"], console, options["workers"])
            elif options["format"] == "research":
                self._research(actor, options["out"], console)
            else:
                self._csv(actor, options["out"], console, options["include_synthetic"])
        except Forbidden as exc:
            raise CommandError(str(exc)) from exc

    def _csv(self, actor: Actor, out: Path, console: Console, include_synthetic: bool) -> None:
        from handregen.interop.csv_export import export_csv

        with console.status("Exporting…") as status:
            counts = export_csv(
                actor=actor,
                out=out,
                progress=lambda table, n: status.update(f"{table}: {n:,} rows"),
                include_synthetic=include_synthetic,
            )
        for table, n in counts.items():
            self.stdout.write(f"{table}.csv: {n} rows")
        self.stdout.write(f"data_dictionary.csv written to {out}")

    def _research(self, actor: Actor, out: Path, console: Console) -> None:
        from handregen.interop.research_export import export_research

        with console.status("Exporting the de-identified research data…"):
            export_research(actor=actor, out=out)
        self.stdout.write(f"Research export written to {out}")

    def _fhir(self, actor: Actor, out: Path, console: Console, workers: int) -> None:
        from handregen.interop.fhir.bulk import export_ndjson

        started = time.monotonic()
        columns = (
            TextColumn("FHIR export"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("patients"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("patients", total=None)
            manifest = export_ndjson(
                actor=actor,
                out=out,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                workers=workers,
            )
        elapsed = max(time.monotonic() - started, 1e-6)
        total = sum(o["count"] for o in manifest["output"])
        for o in manifest["output"]:
            self.stdout.write(f"{o['url']}: {o['count']} resources")
        self.stdout.write(
            f"{total} resources in {elapsed:.1f} s ({total / elapsed:,.0f}/s); manifest.json written to {out}"
        )
