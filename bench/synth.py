"""Synthetic generation: `handregen synth --patients N` into a fresh database, its time and peak memory.

Memory is the whole process tree (the command and its worker processes), sampled from /proc every 0.1 s: the
sum of resident set sizes (RSS; pages shared after fork count once per process, so this over-states) and the
sum of proportional set sizes (PSS; shared pages divided among the processes sharing them). Target: under 2 GiB.

Time target: 100,000 patients "in minutes"; this benchmark reads it as at most 10 minutes and projects the time
at the measured size linearly to 100,000 (the writer works in fixed batches, so per-patient cost is flat;
`--size 100000` measures it instead of projecting).

Baseline (SQLite): the same rows - every row the command wrote, in every table, audit events included - read
back and inserted with plain `executemany` into an empty copy of the same tables and indexes (no triggers), one
transaction, WAL and synchronous=NORMAL as handregen uses. It is the engine's own insert rate, without any
simulation, scoring, signing or audit chaining; the ratio says what share of it the generator reaches. With
DATABASE_URL set (PostgreSQL) the command writes to a fresh site of that database and the baseline is skipped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import BenchResult
from bench.registry import BIN, CACHE

SEED = 11
GIB = 1024**3
SAMPLE_SECONDS = 0.1
MINUTES_FOR_100K = 10


def run(size: int = 10000, seed: int = SEED) -> BenchResult:
    folder = CACHE / f"synth-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "handregen.settings",
        "HANDREGEN_LOG_LEVEL": "WARNING",
        "HANDREGEN_VAR_DIR": str(folder),
    }
    postgres = "DATABASE_URL" in env
    site = f"S{int(time.time())}" if postgres else "demo"  # a fresh site: the same seed at a site adds nothing
    subprocess.run([str(BIN / "handregen"), "migrate", "-v0"], env=env, check=True)
    database = folder / "handregen.sqlite3"
    before = {} if postgres else _row_counts(database)
    started = time.perf_counter()
    command = subprocess.Popen(
        [str(BIN / "handregen"), "synth", "--patients", str(size), "--seed", str(seed), "--site", site],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak_rss, peak_pss, peak_processes = _watch(command)
    seconds = time.perf_counter() - started
    if command.returncode != 0:
        raise RuntimeError(f"handregen synth exited with {command.returncode}")
    result = BenchResult("synth", size)
    engine = "PostgreSQL" if postgres else "SQLite"
    rows = 0
    if not postgres:
        after = _row_counts(database)
        grown = [table for table, n in after.items() if n > before.get(table, 0)]
        rows = sum(after[t] - before.get(t, 0) for t in grown)
        baseline_rate = _executemany_rate(database, folder / "baseline.sqlite3", grown)
        result.add(
            f"synth rows written ({engine})",
            rows / seconds,
            "rows/s",
            baseline=baseline_rate,
            note=f"{rows} rows in {len(grown)} tables; baseline plain executemany of the same rows",
        )
    result.add(f"synth {size} patients ({engine})", seconds, "s", note=f"{peak_processes} processes at most")
    projected = seconds * 100_000 / size
    result.add(
        "projected for 100,000 patients",
        projected,
        "s",
        baseline=MINUTES_FOR_100K * 60,
        target_ratio=1,
        lower_is_better=True,
        note="linear in patients; baseline is the 10-minute reading of 'minutes'",
    )
    result.add(
        "peak memory, process tree RSS",
        peak_rss / 2**20,
        "MiB",
        baseline=2 * GIB / 2**20,
        target_ratio=1,
        lower_is_better=True,
        note="sum of RSS of the command and its workers; baseline is the 2 GiB target",
    )
    result.add("peak memory, process tree PSS", peak_pss / 2**20, "MiB", note="shared pages divided, not repeated")
    shutil.rmtree(folder, ignore_errors=True)
    return result


def _watch(command: subprocess.Popen[bytes]) -> tuple[int, int, int]:
    """Sample the command's process tree until it exits: peak summed RSS and PSS (bytes), most processes."""
    peak_rss = peak_pss = peak_processes = 0
    while command.poll() is None:
        tree = _tree(command.pid)
        rss = sum(_kib(pid, "status", "VmRSS:") for pid in tree) * 1024
        pss = sum(_kib(pid, "smaps_rollup", "Pss:") for pid in tree) * 1024
        peak_rss, peak_pss, peak_processes = max(peak_rss, rss), max(peak_pss, pss), max(peak_processes, len(tree))
        time.sleep(SAMPLE_SECONDS)
    return peak_rss, peak_pss, peak_processes


def _tree(root: int) -> list[int]:
    """`root` and every descendant, from the parent ids in /proc/<pid>/stat."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # the process ended while we looked
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _kib(pid: int, name: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _row_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        tables = [
            r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def _executemany_rate(source: Path, target: Path, tables: list[str]) -> float:
    """Rows per second of plain executemany of `tables`' rows into an empty copy of their schema."""
    with sqlite3.connect(source) as db:
        schema = [
            sql
            for kind, table, sql in db.execute(
                "SELECT type, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC"
            )
            if kind in ("table", "index") and table in tables
        ]  # tables before their indexes
        rows = {t: db.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}  # noqa: S608
    copy = sqlite3.connect(target, isolation_level=None)
    copy.execute("PRAGMA journal_mode=WAL")
    copy.execute("PRAGMA synchronous=NORMAL")
    for sql in schema:
        copy.execute(sql)
    started = time.perf_counter()
    copy.execute("BEGIN")
    for table, values in rows.items():
        if values:
            marks = ",".join("?" * len(values[0]))
            copy.executemany(f'INSERT INTO "{table}" VALUES ({marks})', values)  # noqa: S608
    copy.execute("COMMIT")
    seconds = time.perf_counter() - started
    copy.close()
    return sum(len(v) for v in rows.values()) / seconds


if __name__ == "__main__":  # pragma: no cover - `python -m bench synth` is the usual way in
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10000).table())
