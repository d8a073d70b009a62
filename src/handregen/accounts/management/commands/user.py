"""`handregen user deactivate USERNAME --reason …`: the user can no longer sign in; sessions and API tokens end."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handregen.accounts.models import User
from handregen.accounts.services import user_deactivate
from handregen.errors import InvalidInput


class Command(BaseCommand):
    help = "Staff users."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        off = sub.add_parser("deactivate", help="Deactivate USERNAME: no sign-in, sessions end, tokens revoked.")
        off.add_argument("username")
        off.add_argument("--reason", required=True, help="why, recorded on the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']}.")
        try:
            user_deactivate(actor=None, user=user, reason=options["reason"])
        except InvalidInput as exc:
            raise CommandError(exc.errors[0][1]) from exc
        self.stdout.write(f"{user.username} is deactivated; their sessions ended and their API tokens were revoked.")
