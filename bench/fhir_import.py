"""Issue 10, workload 1: the FHIR migration import (validation with fhir.resources, audit event per row) in rows
per second, against inserting the same rows with plain `executemany` into the same tables (SQLite) or with
`COPY` (PostgreSQL, when DATABASE_URL names one), at size 1x and 10x (patients of the synthetic registry).

The measuring runs in a child process with its own database (a fresh SQLite file, or the PostgreSQL database of
DATABASE_URL, e.g. under scripts/with-postgres). For each size: the synthetic registry is written, exported
and rolled back (the site is empty again); the import is timed (in a savepoint, so no commit cost on either
side), the rows it wrote are read back and rolled back; then the same rows are inserted by the baseline, timed.

Usage: python -m bench fhir_import [--size N]   (N patients at 1x, 10N at 10x; default 300, which keeps
`make bench` under 10 minutes on a 2-core machine)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BenchResult

TARGET_SQLITE = 0.3  # of executemany
TARGET_POSTGRES = 0.5  # of COPY
TARGET_SCALING = 0.7  # rate at 10x / rate at 1x
SEED = 11


def run(size: int = 300) -> BenchResult:
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "handregen.settings", "HANDREGEN_LOG_LEVEL": "WARNING"}
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        env.pop("DATABASE_URL", None)
        env["HANDREGEN_VAR_DIR"] = tempfile.mkdtemp(prefix="handregen-bench-import-")
    child = subprocess.run(
        [sys.executable, "-m", "bench.fhir_import", str(size), str(size * 10)],
        env=env,
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise SystemExit(f"fhir_import: the measuring process failed:\n{child.stderr[-4000:]}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    engine = figures["engine"]
    baseline_name = "COPY" if engine == "postgresql" else "executemany"
    result = BenchResult("fhir_import" if engine == "sqlite" else f"fhir_import_{engine}", size)
    rates = []
    for run_figures in figures["runs"]:
        n = run_figures["patients"]
        rate = run_figures["rows"] / run_figures["import_s"]
        rates.append(rate)
        result.add(
            f"import {n} patients ({engine})",
            rate,
            "rows/s",
            baseline=run_figures["rows"] / run_figures["baseline_s"],
            target_ratio=TARGET_POSTGRES if engine == "postgresql" else TARGET_SQLITE,
            note=(
                f"{run_figures['resources']} resources, {run_figures['rows']} rows in {run_figures['import_s']:.1f} s "
                f"(validation {run_figures['validate_s']:.1f} s); baseline {baseline_name} "
                f"{run_figures['baseline_s']:.2f} s"
            ),
        )
    result.add("rate at 10x / rate at 1x", rates[1], "rows/s", baseline=rates[0], target_ratio=TARGET_SCALING)
    for run_figures in figures["runs"]:  # the same per CPU second, which a busy shared machine blurs less
        result.add(
            f"import {run_figures['patients']} patients, per CPU s",
            run_figures["rows"] / run_figures["import_cpu_s"],
            "rows/CPU-s",
            baseline=run_figures["rows"] / max(run_figures["baseline_cpu_s"], 1e-9),
            note="COPY's CPU is the server's, not counted" if engine == "postgresql" else "",
        )
    return result


# --- the child process -------------------------------------------------------------------------------------


class _Undo(Exception):
    pass


def _prepared_rows(site: Any) -> list[tuple[Any, list[str], list[list[Any]]]]:
    """Every row the import wrote at `site`, per model, as the database driver takes it."""
    from django.db import connection

    from handregen.analytics.synthetic.writer.batch import ORDER
    from handregen.interop.fhir.migration.rows import BUILD  # noqa: F401 - the models it writes are in ORDER

    tables = []
    for model in ORDER:
        fields = [f for f in model._meta.concrete_fields]
        rows = []
        for obj in model._default_manager.filter(site=site).iterator(chunk_size=5000):
            rows.append([f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields])
        if rows:
            tables.append((model, [f.column for f in fields], rows))
    return tables


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the import's validation processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _baseline(tables: list[tuple[Any, list[str], list[list[Any]]]]) -> tuple[float, float]:
    """Seconds (wall, CPU of this process) to insert the rows: COPY on PostgreSQL, one executemany per table
    elsewhere."""
    from django.db import connection

    quote = connection.ops.quote_name
    started, cpu = time.perf_counter(), _cpu()
    with connection.cursor() as cursor:
        for model, columns, rows in tables:
            names = ", ".join(quote(c) for c in columns)
            table = quote(model._meta.db_table)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
    return time.perf_counter() - started, _cpu() - cpu


def _measure(site: Any, admin: Any, physician: Any, patients: int, folder: Path) -> dict[str, Any]:
    from django.db import transaction

    from handregen.analytics.synthetic.writer import synth_registry
    from handregen.interop.fhir.bulk import export_ndjson
    from handregen.interop.fhir.migration import registry_import

    figures: dict[str, Any] = {"patients": patients}
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    synth_registry(site=site, count=patients, seed=SEED)
                    export_ndjson(actor=admin, out=folder)  # bulk export: a site admin (or data steward)
                    raise _Undo
            except _Undo:
                pass
            try:
                with transaction.atomic():
                    started, cpu = time.perf_counter(), _cpu()
                    report = registry_import(actor=admin, path=folder)
                    figures["import_s"] = time.perf_counter() - started
                    figures["import_cpu_s"] = _cpu() - cpu
                    figures["validate_s"] = report.validate_seconds
                    tables = _prepared_rows(site)
                    raise _Undo
            except _Undo:
                pass
            figures["resources"] = sum(report.resources.values())
            figures["rows"] = report.rows_written
            assert figures["rows"] == sum(len(rows) for _, _, rows in tables), "the baseline inserts other rows"
            figures["baseline_s"], figures["baseline_cpu_s"] = _baseline(tables)
            raise _Undo
    except _Undo:
        pass
    return figures


def _postgres_database_ensure() -> None:
    """Create DATABASE_URL's database when it names a PostgreSQL one that does not exist yet (as in a fresh
    scripts/with-postgres server, where only the tests' own database is ever made)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return
    import psycopg
    from psycopg import sql

    server, _, name = url.partition("?")[0].rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _child(sizes: list[int]) -> None:
    import django

    _postgres_database_ensure()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from handregen.accounts.actor import Actor
    from handregen.accounts.services import site_ensure, staff_ensure
    from handregen.pathway.services import protocol_sync_shipped

    call_command("migrate", verbosity=0)
    protocol_sync_shipped()
    site = site_ensure(code="bench", name="Bench Hand Clinic", facility_code="B1234")
    password = "bench password long enough"  # noqa: S105 - a throw-away database
    admin = Actor(user=staff_ensure(site=site, username="bench.admin", role="site_admin", password=password),
                  site=site, role="site_admin")  # fmt: skip
    physician = Actor(user=staff_ensure(site=site, username="bench.physician", role="physician", password=password),
                      site=site, role="physician")  # fmt: skip
    runs = []
    with tempfile.TemporaryDirectory(prefix="handregen-bench-ndjson-") as tmp:
        for patients in sizes:
            runs.append(_measure(site, admin, physician, patients, Path(tmp) / str(patients)))
            print(f"{patients} patients: {runs[-1]}", file=sys.stderr)
    print(json.dumps({"engine": connection.vendor, "runs": runs}))


if __name__ == "__main__":
    _child([int(n) for n in sys.argv[1:]])
