"""handregen's own system checks, run by `handregen check` (with --deploy in production)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connections

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


DATABASE_TASKS_BACKEND = "django_tasks_db.DatabaseBackend"


def jobs_and_files_problems(tasks: Mapping[str, Any], storages: Mapping[str, Any]) -> list[str]:
    """Plain reasons why the background jobs or the file store are not fit for production; [] when they are."""
    problems = []
    backend = tasks.get("default", {}).get("BACKEND", "")
    if backend != DATABASE_TASKS_BACKEND:
        problems.append(
            f"Background jobs use {backend or 'no backend'}; production needs {DATABASE_TASKS_BACKEND} and a running "
            "`handregen worker` (other backends run jobs inside the request, or never)."
        )
    files = storages.get("files")
    if not files:
        problems.append("STORAGES has no 'files' store: bulk export files have nowhere to go.")
    elif files.get("BACKEND") == "django.core.files.storage.FileSystemStorage":
        location = Path(files.get("OPTIONS", {}).get("location", ""))
        parent = next((p for p in [location, *location.parents] if p.exists()), None)
        if not location.is_absolute() or parent is None or not os.access(parent, os.W_OK):
            problems.append(f"The file store folder {location} cannot be written by this user.")
    return problems


@register(Tags.compatibility, deploy=True)
def check_jobs_and_files(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    return [Error(p, id="handregen.E002") for p in jobs_and_files_problems(settings.TASKS, settings.STORAGES)]


@register(Tags.database, deploy=True)
def check_worker_running(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when jobs have waited longer than a lost worker's grace time and no worker is alive."""
    if not kwargs.get("databases"):
        return []
    from handregen.jobs.health import health

    try:
        status, body = health()
    except DatabaseError:
        return []  # not migrated yet: nothing can be waiting
    if status == 200 or "problem" not in body:
        return []
    return [Warning(body["problem"], id="handregen.W003")]
