"""`handregen audit verify`: check every audit hash chain and name the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handregen.audit.verify import verify_all


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="Verify the hash chains; exit 1 at the first broken link.")
        sub.add_parser("head", help="Print each chain's head hash for off-box anchoring.")

    def handle(self, *args: Any, **options: Any) -> None:
        reports = verify_all()
        if options["verb"] == "head":
            for r in reports:
                self.stdout.write(f"{r.chain} {r.events} {r.head}")
            return
        broken = [r for r in reports if not r.ok]
        for r in reports:
            state = "ok" if r.ok else f"BROKEN at event {r.broken_at}: {r.problem}"
            self.stdout.write(f"{r.chain}: {r.events} events, {state}")
        if broken:
            raise CommandError(f"audit chain broken at event {broken[0].broken_at} ({broken[0].chain})")
