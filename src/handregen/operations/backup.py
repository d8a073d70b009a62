"""Backups of the whole database: SQLite through its online backup API, PostgreSQL as a base backup.

A SQLite backup is a consistent copy taken while the app keeps serving (readers and the one writer go on). A
PostgreSQL base backup (`pg_basebackup`, tar format, WAL streamed alongside) plus the server's WAL archive gives
point-in-time recovery; docs/deployment.md says how to set up the archive and restore (drilled by
`make drill`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings


class BackupFailed(Exception):
    """The backup could not be taken; the message says why in plain words."""


@dataclass(frozen=True)
class BackupResult:
    engine: str
    path: Path
    bytes: int


def sqlite_backup(source: Path, target: Path) -> BackupResult:
    """Copy a live SQLite database page by page with SQLite's online backup API, then check the copy."""
    if not source.exists():
        raise BackupFailed(f"there is no database file at {source}")
    if target.exists():
        raise BackupFailed(f"{target} exists already; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if verdict != "ok":
        target.unlink(missing_ok=True)
        raise BackupFailed(f"the copy failed SQLite's integrity check: {verdict}")
    return BackupResult("sqlite", target, target.stat().st_size)


def postgres_backup(db: Mapping[str, Any], target: Path) -> BackupResult:
    """A base backup of the whole PostgreSQL cluster (tar, compressed, with the WAL needed to make it consistent)."""
    tool = shutil.which("pg_basebackup") or _pg_tool("pg_basebackup")
    if target.exists() and any(target.iterdir()):
        raise BackupFailed(f"{target} is not empty; choose a new folder")
    command = [tool, "-D", str(target), "-Ft", "-z", "-X", "stream", "--checkpoint=fast", "--no-password"]
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    env = {**os.environ, **({"PGPASSWORD": str(db["PASSWORD"])} if db.get("PASSWORD") else {})}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupFailed(f"pg_basebackup failed: {done.stderr.strip()[:500]}")
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    return BackupResult("postgresql", target, size)


def backup(target: Path) -> BackupResult:
    """Back up the configured database to `target` (a file for SQLite, a folder for PostgreSQL)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return sqlite_backup(Path(db["NAME"]), target)
    if db["ENGINE"] == "django.db.backends.postgresql":
        return postgres_backup(db, target)
    raise BackupFailed(f"no backup method for the database engine {db['ENGINE']}")


def _pg_tool(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise BackupFailed(f"{name} is not installed (Debian package postgresql-client)")
    return str(found[-1])
