"""`handregen token create|list|revoke`: API bearer tokens, at most `HANDREGEN_TOKEN_MAX_DAYS` days each."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handregen.accounts.models import ApiToken
from handregen.accounts.selectors import token_state
from handregen.accounts.services import token_create, token_max_days, token_revoke
from handregen.errors import InvalidInput, NotFound


class Command(BaseCommand):
    help = "Manage API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a token for USERNAME and print it.")
        create.add_argument("username")
        create.add_argument("--site", help="site code when the user works at several sites")
        create.add_argument(
            "--days", type=int, default=token_max_days(), help=f"days until it expires (1 to {token_max_days()})"
        )
        listing = sub.add_parser("list", help="List tokens (never the tokens themselves): prefix, owner, site, state.")
        listing.add_argument("--user", help="only this user's tokens")
        listing.add_argument("--site", help="only the tokens for this site code")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (as listed) or every token of a user.")
        which = revoke.add_mutually_exclusive_group(required=True)
        which.add_argument("prefix", nargs="?", help="the token's prefix, e.g. hr_AbC1234")
        which.add_argument("--user", help="revoke every live token of this user")
        revoke.add_argument("--reason", default="revoked by the operator", help="recorded on the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['verb']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        try:
            raw = token_create(username=options["username"], site_code=options["site"], days=options["days"])
        except InvalidInput as exc:
            raise CommandError(f"--days {options['days']}: {exc.errors[0][1]}") from exc
        except NotFound as exc:
            raise CommandError(f"No active user with a site role: {exc}") from exc
        self.stdout.write(f"Token for {options['username']} (shown once; valid {options['days']} days):")
        self.stdout.write(raw)

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("user", "site").order_by("user__username", "-created_at")
        if options["user"]:
            tokens = tokens.filter(user__username=options["user"])
        if options["site"]:
            tokens = tokens.filter(site__code=options["site"])
        for t in tokens:
            made = f"made {t.created_at:%Y-%m-%d}"
            self.stdout.write(f"{t.prefix}  {t.user.username:<20} {t.site.code:<10} {made}  {token_state(t)}")
        self.stdout.write(f"{len(tokens)} token(s)")

    def _revoke(self, options: dict[str, Any]) -> None:
        if options["user"]:
            found = list(ApiToken.objects.filter(user__username=options["user"], revoked_at__isnull=True))
        else:
            found = list(ApiToken.objects.filter(prefix=options["prefix"]))
            if len(found) != 1:
                raise CommandError(f"{len(found)} tokens have the prefix {options['prefix']!r}; give a listed one")
        for token in found:
            token_revoke(actor=None, token=token, reason=options["reason"])
        self.stdout.write(f"{len(found)} token(s) revoked")
