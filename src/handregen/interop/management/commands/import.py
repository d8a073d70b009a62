"""`handregen import fhir FILE_OR_DIR --user USERNAME`: import Patients, QuestionnaireResponses and
Observations from FHIR Bundles (JSON) or NDJSON; idempotent (see `interop.fhir.importer`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handregen.accounts.models import User
from handregen.accounts.selectors import actor_for
from handregen.errors import Forbidden


class Command(BaseCommand):
    help = "Import FHIR Patient, QuestionnaireResponse and Observation resources (Bundle JSON or NDJSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=["fhir"])
        parser.add_argument("path", type=Path, help="a .json Bundle or resource, an .ndjson file, or a folder of them")
        parser.add_argument("--user", required=True, help="import as this user (their site and role apply)")
        parser.add_argument("--site", help="site code when the user works at several sites")

    def handle(self, *args: Any, **options: Any) -> None:
        from handregen.interop.fhir.importer import import_fhir

        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder.")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        actor = actor_for(user=user, site_code=options["site"]) if user else None
        if actor is None:
            raise CommandError(f"No active user {options['user']} with a role at a site.")
        try:
            report = import_fhir(actor=actor, path=path)
        except Forbidden as exc:
            raise CommandError(str(exc)) from exc
        for line in report.skipped:
            self.stdout.write(f"skipped {line}")
        for line in report.errors:
            self.stderr.write(f"error {line}")
        for label, counts in (
            ("created", report.created),
            ("amended", report.amended),
            ("unchanged", report.unchanged),
        ):
            for resource_type, n in sorted(counts.items()):
                self.stdout.write(f"{resource_type}: {n} {label}")
        self.stdout.write(f"{report.changes} changes, {len(report.errors)} errors")
        if report.errors:
            raise CommandError(f"{len(report.errors)} entries were not imported (see the error lines above).")
