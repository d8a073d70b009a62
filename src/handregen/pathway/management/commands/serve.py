"""`handregen serve`: gunicorn with DEBUG off and collected static files; Django's development server only when
DEBUG is asked for (HANDREGEN_DEBUG=1)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve handregen on http://127.0.0.1:8000 with gunicorn (the development server when HANDREGEN_DEBUG=1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG:
            call_command("runserver", options["bind"], use_reloader=False)
            return
        # Hashed, compressed static files with a year's cache lifetime: collected first, by a process that reads
        # the settings with the hashed storage, which gunicorn then inherits.
        env = os.environ | {"HANDREGEN_STATIC_HASHED": "1"}
        # ninja's ReDoc is not used (the docs page is its Swagger UI): not collected, not compressed at each start.
        collect = [sys.executable, "-m", "handregen.cli", "collectstatic", "--noinput", "--verbosity", "0",
                   "--ignore", "redoc.standalone.js*"]
        subprocess.run(collect, env=env, check=True)  # noqa: S603 - our own interpreter and fixed arguments
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        command = [gunicorn, "handregen.wsgi", "--bind", options["bind"], "--workers", str(options["workers"])]
        # No access log: request lines carry query strings, which can hold patient names (issue 19, finding 7).
        os.execve(gunicorn, command, env)  # noqa: S606 - fixed program path, arguments from our own options
