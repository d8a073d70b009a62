"""`handregen audit verify|head|rotate-key|report|break-glass`: check the chains (against the anchor file), export
their heads, rotate the key, list the trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from handregen.accounts.models import Site
from handregen.audit.keys import key_rotate
from handregen.audit.selectors import audit_rows, break_glass_rows
from handregen.audit.verify import verify_all


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        verify = sub.add_parser("verify", help="Verify the audit and read chains; exit 1 at the first broken link.")
        verify.add_argument(
            "--anchor",
            help="the anchor file (var/audit-anchor.log, or its copy kept off the machine): every head "
            "anchored there must still be in its chain",
        )
        sub.add_parser("rotate-key", help="Start sealing with a new key in the key file (old keys stay to verify).")
        sub.add_parser("head", help="Print each chain's head hash for off-box anchoring.")
        glass = sub.add_parser("break-glass", help="List the break-glass openings of one site's patients.")
        glass.add_argument("--site", required=True, help="site code, e.g. demo")
        report = sub.add_parser("report", help="List one site's writes and reads, per patient and period.")
        report.add_argument("--site", required=True, help="site code, e.g. demo")
        report.add_argument("--patient", type=uuid.UUID, help="the patient's id")
        report.add_argument("--since", type=datetime.fromisoformat, help="ISO date or time, inclusive")
        report.add_argument("--until", type=datetime.fromisoformat, help="ISO date or time, exclusive")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "break-glass":
            self._break_glass(options["site"])
            return
        if options["verb"] == "report":
            self._report(options)
            return
        if options["verb"] == "rotate-key":
            new_id = key_rotate()
            self.stdout.write(f"New events are sealed with key {new_id}; keep a copy of the key file off the machine.")
            return
        anchor = options.get("anchor")
        if anchor and not Path(anchor).is_file():
            raise CommandError(f"no anchor file {anchor}")
        reports = verify_all(anchor_file=anchor)
        if options["verb"] == "head":
            for r in reports:
                self.stdout.write(f"{r.chain} {r.events} {r.head}")
            return
        broken = [r for r in reports if not r.ok]
        for r in reports:
            where = f" at event {r.broken_at}" if r.broken_at is not None else ""
            state = "ok" if r.ok else f"BROKEN{where}: {r.problem}"
            older = f" ({r.unkeyed} from before keying)" if r.unkeyed else ""
            self.stdout.write(f"{r.chain}: {r.events} events{older}, {state}")
        if broken:
            first = broken[0]
            where = f" at event {first.broken_at}" if first.broken_at is not None else ""
            raise CommandError(f"audit chain broken{where} ({first.chain}): {first.problem}")

    def _break_glass(self, site_code: str) -> None:
        site = Site.objects.filter(code=site_code).first()
        if site is None:
            raise CommandError(f"no site {site_code!r}")
        rows = break_glass_rows(site=site)
        for r in rows:
            self.stdout.write(
                f"{r.at:%Y-%m-%d %H:%M} event {r.seq} by {r.by} ({r.role}, {r.from_site}) "
                f"patient {r.patient_id} until {r.expires_at:%Y-%m-%d %H:%M} reads {r.reads}: {r.reason}"
            )
        self.stdout.write(f"{len(rows)} break-glass opening(s) of {site.code} patients")

    def _report(self, options: dict[str, Any]) -> None:
        site = Site.objects.filter(code=options["site"]).first()
        if site is None:
            raise CommandError(f"no site {options['site']!r}")
        since, until = (self._aware(options[k]) for k in ("since", "until"))
        rows, truncated = audit_rows(site=site, patient_id=options["patient"], since=since, until=until)
        for r in rows:
            via = f" via {r.channel}" if r.channel else ""
            self.stdout.write(
                f"{r.at:%Y-%m-%d %H:%M:%S} {r.kind:<7} {r.by} ({r.role or '-'}) {r.what} {r.object_type}"
                f" patient {r.patient_id or '-'}{via}"
            )
        more = " (cut: ask for a shorter period to see the rest)" if truncated else ""
        self.stdout.write(f"{len(rows)} event(s) at {site.code}{more}")

    @staticmethod
    def _aware(value: datetime | None) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return timezone.make_aware(value)
