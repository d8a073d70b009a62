"""`handregen report cohort --out FILE.pdf|.html --user USERNAME`: the cohort report with its methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handregen.accounts.models import User
from handregen.accounts.selectors import actor_for
from handregen.errors import Forbidden


class Command(BaseCommand):
    help = "Write the cohort report (PDF or HTML)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["cohort"])
        parser.add_argument("--out", required=True, type=Path, help="FILE.pdf or FILE.html")
        parser.add_argument("--user", required=True, help="report as this user (their site and role apply)")
        parser.add_argument(
            "--include-synthetic",
            action="store_true",
            help="count synthetic (made-up) patients too; every page then says how many",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from handregen.analytics.report import (
            cohort_report_context,
            render_cohort_report_html,
            render_cohort_report_pdf,
        )

        out: Path = options["out"]
        if out.suffix not in {".pdf", ".html"}:
            raise CommandError("--out must end in .pdf or .html")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        actor = actor_for(user=user) if user else None
        if actor is None:
            raise CommandError(f"No active user {options['user']} with a role at a site.")
        try:
            context = cohort_report_context(actor=actor, include_synthetic=options["include_synthetic"])
        except Forbidden as exc:
            raise CommandError(str(exc)) from exc
        if out.suffix == ".pdf":
            out.write_bytes(render_cohort_report_pdf(context))
        else:
            out.write_text(render_cohort_report_html(context), encoding="utf-8")
        self.stdout.write(f"Cohort report written to {out}")
