"""`handregen import fhir FILE_OR_DIR --user USERNAME`: import Patients, QuestionnaireResponses and
Observations from FHIR Bundles (JSON) or NDJSON; idempotent (see `interop.fhir.importer`).

`handregen import fhir EXPORT_DIR --migrate --user ADMIN`: rebuild a whole registry exported by handregen at the
administrator's site, every record with its id (see `interop.fhir.migration`); all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handregen.accounts.actor import Actor
from handregen.accounts.models import User
from handregen.accounts.selectors import actor_for
from handregen.errors import Forbidden, InvalidInput


class Command(BaseCommand):
    help = "Import FHIR Patient, QuestionnaireResponse and Observation resources (Bundle JSON or NDJSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=["fhir"])
        parser.add_argument("path", type=Path, help="a .json Bundle or resource, an .ndjson file, or a folder of them")
        parser.add_argument("--user", required=True, help="import as this user (their site and role apply)")
        parser.add_argument("--site", help="site code when the user works at several sites")
        parser.add_argument(
            "--migrate",
            action="store_true",
            help="migration import of a whole exported registry (site administrator; all or nothing)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from handregen.interop.fhir.importer import import_fhir

        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder.")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        actor = actor_for(user=user, site_code=options["site"]) if user else None
        if actor is None:
            raise CommandError(f"No active user {options['user']} with a role at a site.")
        if options["migrate"]:
            self._migrate(actor, path)
            return
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

    def _migrate(self, actor: Actor, path: Path) -> None:
        from handregen.interop.fhir.migration import registry_import

        try:
            report = registry_import(actor=actor, path=path)
        except Forbidden as exc:
            raise CommandError(str(exc)) from exc
        except InvalidInput as exc:
            for where, message in exc.errors[:50]:
                self.stderr.write(f"error {where}: {message}")
            raise CommandError(f"{len(exc.errors)} problems; nothing was imported.") from exc
        for model in sorted(set(report.created) | set(report.unchanged)):
            self.stdout.write(f"{model}: {report.created[model]} written, {report.unchanged[model]} already here")
        resources = sum(report.resources.values())
        self.stdout.write(
            f"{resources} resources, {report.rows_written} rows written in {report.seconds:.1f} s "
            f"(import batch {report.batch_id})"
        )
