"""`handregen backup --out PATH`: a consistent backup of the running database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handregen.operations.backup import BackupFailed, backup


class Command(BaseCommand):
    help = "Back up the database: SQLite to a file (online), PostgreSQL to a base-backup folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="file (SQLite) or empty folder (PostgreSQL)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup(options["out"])
        except BackupFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{result.engine} backup written to {result.path} ({result.bytes:,} bytes)")
