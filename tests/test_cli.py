"""The `handregen` command line: demo, token and the console script itself."""

import subprocess
import sys
from io import StringIO

from django.core.management import call_command

from handregen.accounts.models import Membership, User
from handregen.accounts.selectors import actor_for_token
from handregen.patients.models import Patient


def test_demo_creates_both_sites_and_is_idempotent(db, monkeypatch):
    monkeypatch.setenv("HANDREGEN_DEMO_PASSWORD", "a demo password long enough")
    out = StringIO()
    call_command("demo", stdout=out)
    counts = (User.objects.count(), Membership.objects.count(), Patient.objects.count())
    call_command("demo", stdout=StringIO())
    assert (User.objects.count(), Membership.objects.count(), Patient.objects.count()) == counts
    text = out.getvalue()
    for username in ("physician", "nurse", "coordinator", "labtech", "researcher", "siteadmin", "north.physician"):
        assert username in text
    assert "a demo password long enough" in text
    assert User.objects.get(username="nurse").check_password("a demo password long enough")
    assert Patient.objects.filter(site__code="north").count() == 1
    from handregen.pathway.models import Episode

    stages = dict(
        Episode.objects.filter(site__code="demo", patient__mrn__startswith="DEMO-").values_list("patient__mrn", "stage")
    )
    # The showcase patients sit on different worklists, reached through the real services.
    assert {stages["DEMO-0001"], stages["DEMO-0002"], stages["DEMO-0004"], stages["DEMO-0007"]} == {
        "follow_up",
        "released",
        "referred",
        "harvested",
    }


def test_token_create_prints_a_working_token_as_the_last_line(db, monkeypatch):
    monkeypatch.setenv("HANDREGEN_DEMO_PASSWORD", "a demo password long enough")
    call_command("demo", stdout=StringIO())
    out = StringIO()
    call_command("token", "create", "physician", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    actor = actor_for_token(token)
    assert actor is not None and actor.user.username == "physician" and actor.site.code == "demo"
    assert actor_for_token(token + "x") is None


def test_the_console_script_runs_django_commands():
    result = subprocess.run(
        [sys.executable, "-m", "handregen.cli", "help", "demo"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "demo site" in result.stdout
