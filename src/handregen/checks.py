"""handregen's own system checks, run by `handregen check` (with --deploy in production)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.checks import Error, Tags, register
from django.db import connections

# PostgreSQL settings that must be on, or an acknowledged commit can be lost in a crash (requirement R7).
DURABILITY_SETTINGS = {
    "fsync": "on",
    "full_page_writes": "on",
    "synchronous_commit": ("on", "remote_write", "remote_apply", "local"),
}


def durability_problems(shown: Mapping[str, str]) -> list[str]:
    """Plain reasons why PostgreSQL settings (`SHOW name` results) are not durable; [] when they are."""
    problems = []
    for name, wanted in DURABILITY_SETTINGS.items():
        value = shown.get(name, "").strip().lower()
        allowed = (wanted,) if isinstance(wanted, str) else wanted
        if value not in allowed:
            problems.append(f"PostgreSQL {name} is '{value or 'unknown'}'; it must be {' or '.join(allowed)}.")
    return problems


@register(Tags.database, deploy=True)
def check_database_durability(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse to run in production on a PostgreSQL server that may lose acknowledged commits."""
    errors = []
    for alias in kwargs.get("databases") or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            shown = {}
            for name in DURABILITY_SETTINGS:
                cursor.execute(f"SHOW {name}")  # names come from the constant above, never from input
                shown[name] = cursor.fetchone()[0]
        errors += [Error(p, id="handregen.E001") for p in durability_problems(shown)]
    return errors
