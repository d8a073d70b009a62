"""`handregen demo`: create or refresh the demo clinics and print the logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from handregen.demo import build_demo


class Command(BaseCommand):
    help = "Create the demo site (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        result = build_demo()
        self.stdout.write(f"Demo logins (password for all: {result.password})")
        self.stdout.write(f"  password from {result.password_source}")
        for username, role, site in result.logins:
            self.stdout.write(f"  {username:<16} {role:<15} {site}")
        if result.synthetic_patients:
            self.stdout.write(f"{result.synthetic_patients} synthetic patients (MRN SYN1-…) added to the demo site")
        self.stdout.write("Staff sign in with a second factor: when asked for a code, run")
        self.stdout.write("  .venv/bin/handregen mfa code USERNAME")
