"""`handregen export csv|research --out DIR --user USERNAME`: tidy CSV tables with a data dictionary, or the
de-identified research export with its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from handregen.accounts.models import User
from handregen.accounts.selectors import actor_for
from handregen.errors import Forbidden


class Command(BaseCommand):
    help = "Export the site's data: csv (identified, staff) or research (de-identified)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=["csv", "research"])
        parser.add_argument("--out", required=True, type=Path, help="folder to write into")
        parser.add_argument("--user", required=True, help="export as this user (their site and role apply)")
        parser.add_argument("--site", help="site code when the user works at several sites")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        actor = actor_for(user=user, site_code=options["site"]) if user else None
        if actor is None:
            raise CommandError(f"No active user {options['user']} with a role at a site.")
        console = Console(stderr=True)
        from handregen.interop.csv_export import export_csv

        try:
            with console.status("Exporting…") as status:
                counts = export_csv(
                    actor=actor, out=options["out"], progress=lambda table, n: status.update(f"{table}: {n:,} rows")
                )
        except Forbidden as exc:
            raise CommandError(str(exc)) from exc
        for table, n in counts.items():
            self.stdout.write(f"{table}.csv: {n} rows")
        self.stdout.write(f"data_dictionary.csv written to {options['out']}")
