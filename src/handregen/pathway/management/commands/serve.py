"""`handregen serve`: the development server, or gunicorn with production settings.

Patients' questionnaire links start with HANDREGEN_BASE_URL. When it is not given, it is taken from the
address served (`--bind`), so a link handed out by `make run PORT=8100` opens on port 8100; behind a proxy
or a public name, set HANDREGEN_BASE_URL to the address patients reach.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Serve handregen on http://127.0.0.1:8000 or --bind HOST:PORT (gunicorn when HANDREGEN_ENV=production); "
            "patients' links use HANDREGEN_BASE_URL, else the bound address.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        if not os.environ.get("HANDREGEN_BASE_URL"):
            base = base_url_for(options["bind"])
            os.environ["HANDREGEN_BASE_URL"] = base  # for gunicorn's workers, which read the settings afresh
            settings.HANDREGEN_BASE_URL = base
        self.stdout.write(f"Patients' questionnaire links start with {settings.HANDREGEN_BASE_URL}/q/")
        if settings.PRODUCTION:
            gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
            command = [gunicorn, "handregen.wsgi", "--bind", options["bind"], "--workers", str(options["workers"])]
            os.execv(gunicorn, command)  # noqa: S606 - fixed program path, arguments from our own options
        call_command("runserver", options["bind"], use_reloader=False)


def base_url_for(bind: str) -> str:
    """The origin a link needs to reach a server bound to `bind` ("HOST:PORT"; all interfaces: this host's name)."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104 - naming the address served, not binding to it
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
