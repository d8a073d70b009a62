"""Database triggers that make tables append-only, so that not even raw SQL from the app can rewrite history."""

from __future__ import annotations

from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def append_only_sql(vendor: str, table: str) -> list[str]:
    """SQL that makes `table` refuse UPDATE and DELETE on `vendor` (sqlite or postgresql)."""
    message = f"{table} is append-only"
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END;",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END;",
        ]
    if vendor == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {table}_refuse() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql;",
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse();",
        ]
    raise NotImplementedError(f"append-only triggers are not written for {vendor}")


def drop_append_only_sql(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_update;", f"DROP TRIGGER IF EXISTS {table}_no_delete;"]
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};",
        f"DROP FUNCTION IF EXISTS {table}_refuse();",
    ]


def make_append_only(schema_editor: BaseDatabaseSchemaEditor, tables: list[str]) -> None:
    for table in tables:
        for statement in append_only_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)


def undo_append_only(schema_editor: BaseDatabaseSchemaEditor, tables: list[str]) -> None:
    for table in tables:
        for statement in drop_append_only_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)


def empty_append_only_tables_for_tests() -> None:
    """Test teardown only: empty the append-only tables so that Django's flush can run.

    SQLite's flush deletes row by row, which the triggers refuse; so drop them, empty the tables and put
    them back. PostgreSQL's flush truncates, which row triggers do not see (the production role is not
    granted TRUNCATE). Never called by the application.
    """
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    # Foreign keys off while emptying: append-only tables refer to each other (a signature's void to its unlock).
    with connection.constraint_checks_disabled(), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_update'")
        tables = sorted(row[0] for row in cursor.fetchall())
        for table in tables:
            for statement in drop_append_only_sql("sqlite", table):
                cursor.execute(statement)
            cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608 - table names from sqlite_master
            for statement in append_only_sql("sqlite", table):
                cursor.execute(statement)
