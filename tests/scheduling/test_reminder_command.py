"""`handregen appointment-reminders` runs the day-before reminders and says how many went."""

from __future__ import annotations

import io

from django.core.management import call_command


def test_the_command_reports_what_it_sent(db):
    out = io.StringIO()
    call_command("appointment-reminders", stdout=out)
    assert out.getvalue().strip() == "0 reminder(s) sent."
