"""`handregen appointment-reminders`: e-mail tomorrow's patients a reminder (safe to rerun; run it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from handregen.scheduling.messages import reminders_send


class Command(BaseCommand):
    help = "Send the day-before appointment reminders (each goes once per appointment time)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{reminders_send()} reminder(s) sent.")
