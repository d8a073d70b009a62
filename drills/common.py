"""What the drills share: Django set up on the DATABASE_URL they were given, and the drill site's staff."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "drill password that is long enough 7"  # noqa: S105 - a throw-away database's staff


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handregen.settings")
    import django

    django.setup()


def drill_actors() -> dict[str, Any]:
    """The drill site's physician, nurse and lab technician (created on first use)."""
    from handregen.accounts.actor import Actor
    from handregen.accounts.services import site_ensure, staff_ensure
    from handregen.pathway.services import protocol_sync_shipped

    protocol_sync_shipped()
    site = site_ensure(code="drill", name="Drill Clinic", facility_code="X9990")
    actors = {}
    for role in ("physician", "nurse", "lab_technician"):
        user = staff_ensure(site=site, username=f"drill.{role}", role=role, password=PASSWORD)
        actors[role] = Actor(user=user, site=site, role=role)
    return actors


def handregen(args: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the `handregen` command (this interpreter's) against the database in `env`."""
    command = [sys.executable, "-m", "handregen.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=check, cwd=ROOT)


def python_module(module: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", module, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=ROOT)


def env_for(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HANDREGEN_TEST_POSTGRES"}
    env["DATABASE_URL"] = database_url
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env
