"""`handregen serve`: the development server, or gunicorn with production settings."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve handregen on http://127.0.0.1:8000 (gunicorn when HANDREGEN_ENV=production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
            command = [gunicorn, "handregen.wsgi", "--bind", options["bind"], "--workers", str(options["workers"])]
            os.execv(gunicorn, command)  # noqa: S606 - fixed program path, arguments from our own options
        call_command("runserver", options["bind"], use_reloader=False)
