"""`handregen serve`: gunicorn with DEBUG off and collected static files; Django's development server only when
DEBUG is asked for (HANDREGEN_DEBUG=1).

Patients' questionnaire links start with HANDREGEN_BASE_URL. When it is not given, it is taken from the
address served (`--bind`), so a link handed out by `make run PORT=8100` opens on port 8100; behind a proxy
or a public name, set HANDREGEN_BASE_URL to the address patients reach.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Serve handregen on http://127.0.0.1:8000 or --bind HOST:PORT with gunicorn (the development server when "
        "HANDREGEN_DEBUG=1); patients' links use HANDREGEN_BASE_URL, else the bound address."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        if not os.environ.get("HANDREGEN_BASE_URL"):
            base = base_url_for(options["bind"])
            os.environ["HANDREGEN_BASE_URL"] = base  # for gunicorn's workers, which read the settings afresh
            settings.HANDREGEN_BASE_URL = base
        self.stdout.write(f"Patients' questionnaire links start with {settings.HANDREGEN_BASE_URL}/q/")
        if settings.DEBUG:
            call_command("runserver", options["bind"], use_reloader=False)
            return
        # Hashed, compressed static files with a year's cache lifetime: collected first, by a process that reads
        # the settings with the hashed storage, which gunicorn then inherits.
        env = os.environ | {"HANDREGEN_STATIC_HASHED": "1"}
        # ninja's ReDoc is not used (the docs page is its Swagger UI): not collected, not compressed at each start.
        collect = [
            sys.executable,
            "-m",
            "handregen.cli",
            "collectstatic",
            "--noinput",
            "--verbosity",
            "0",
            "--ignore",
            "redoc.standalone.js*",
        ]
        subprocess.run(collect, env=env, check=True)  # noqa: S603 - our own interpreter and fixed arguments
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        command = [gunicorn, "handregen.wsgi", "--bind", options["bind"], "--workers", str(options["workers"])]
        # No access log: request lines carry query strings, which can hold patient names (issue 19, finding 7).
        os.execve(gunicorn, command, env)  # noqa: S606 - fixed program path, arguments from our own options


def base_url_for(bind: str) -> str:
    """The origin a link needs to reach a server bound to `bind` ("HOST:PORT"; all interfaces: this host's name)."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104 - naming the address served, not binding to it
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
