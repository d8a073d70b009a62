"""`handregen token create USERNAME`: print a new API bearer token as the last line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handregen.accounts.services import token_create
from handregen.errors import NotFound


class Command(BaseCommand):
    help = "Manage API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a token for USERNAME and print it.")
        create.add_argument("username")
        create.add_argument("--site", help="site code when the user works at several sites")
        create.add_argument("--days", type=int, default=90, help="days until it expires (default 90)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            raw = token_create(username=options["username"], site_code=options["site"], days=options["days"])
        except NotFound as exc:
            raise CommandError(f"No active user with a site role: {exc}") from exc
        self.stdout.write(f"Token for {options['username']} (shown once; valid {options['days']} days):")
        self.stdout.write(raw)
