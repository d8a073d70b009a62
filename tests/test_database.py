"""The suite runs on the database it was asked to use (make test runs it on SQLite and PostgreSQL)."""

import os

from django.db import connection


def test_the_suite_runs_on_the_requested_database(db):
    expected = "postgresql" if os.environ.get("HANDREGEN_TEST_POSTGRES") else "sqlite"
    assert connection.vendor == expected


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db):
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
