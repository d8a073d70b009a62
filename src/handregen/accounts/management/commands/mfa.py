"""`handregen mfa code USERNAME` (demo and development only) and `handregen mfa reset USERNAME`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp

from handregen.accounts.mfa import confirmed_totp, mfa_reset
from handregen.accounts.models import User


class Command(BaseCommand):
    help = "Two-factor helpers: print a demo user's current code, or reset a user's devices."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        code = sub.add_parser("code", help="Print the current code of a demo user's authenticator (not in production).")
        code.add_argument("username")
        reset = sub.add_parser("reset", help="Remove a user's devices (lost phone); their sessions end.")
        reset.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']}.")
        if options["verb"] == "reset":
            mfa_reset(user=user)
            self.stdout.write(f"Two-factor devices of {user.username} removed; they enrol again at next sign-in.")
            return
        if settings.PRODUCTION:
            raise CommandError("Codes are never printed in production.")
        device = confirmed_totp(user)
        if device is None:
            raise CommandError(f"{user.username} has no authenticator enrolled.")
        self.stdout.write(f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}")
