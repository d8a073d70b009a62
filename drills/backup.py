"""R6, backups proven by restore: write marker A, note time T, write marker B, restore to T, check.

SQLite: `handregen backup` (the online backup API) taken at T, restored by copying the file into place.
PostgreSQL: a cluster archiving its WAL, a base backup taken with `handregen backup` before A, then a
point-in-time recovery into a scratch cluster with `recovery_target_time = T`.
Either way the restored database must hold A, not B, and pass `handregen audit verify`. Prints the restore time.
Usage: python -m drills.backup [--engine sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from drills.common import env_for, handregen, python_module
from drills.pgcluster import Cluster


@dataclass
class DrillReport:
    engine: str
    restore_seconds: float = 0.0
    findings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verdict = "passed" if not self.findings else f"FAILED ({len(self.findings)} findings)"
        return f"backup drill ({self.engine}): restore took {self.restore_seconds:.2f} s; {verdict}"


def _marker(verb: str, name: str, env: dict[str, str]) -> str:
    done = python_module("drills.marker", [verb, name], env)
    if done.returncode != 0:
        raise RuntimeError(f"marker {verb} {name} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def _check_restored(env: dict[str, str], report: DrillReport) -> None:
    if _marker("check", "A", env) != "present":
        report.findings.append("marker A, written before T, is missing from the restore")
    if _marker("check", "B", env) != "absent":
        report.findings.append("marker B, written after T, is present in the restore")
    verified = handregen(["audit", "verify"], env, check=False)
    if verified.returncode != 0:
        report.findings.append(f"the restored audit chain does not verify: {verified.stderr.strip()[-300:]}")


def drill_sqlite(scratch: Path) -> DrillReport:
    report = DrillReport("sqlite")
    live = env_for(f"sqlite:///{scratch / 'live.sqlite3'}")
    handregen(["migrate", "--verbosity", "0"], live)
    _marker("write", "A", live)
    handregen(["backup", "--out", str(scratch / "backup-at-T.sqlite3")], live)  # T
    _marker("write", "B", live)
    started = time.perf_counter()
    shutil.copyfile(scratch / "backup-at-T.sqlite3", scratch / "restored.sqlite3")
    report.restore_seconds = time.perf_counter() - started
    _check_restored(env_for(f"sqlite:///{scratch / 'restored.sqlite3'}"), report)
    return report


def drill_postgres(scratch: Path) -> DrillReport:
    report = DrillReport("postgresql")
    archive = scratch / "wal-archive"
    archive.mkdir()
    live = Cluster(
        settings={
            "wal_level": "replica",
            "archive_mode": "on",
            "archive_command": f"'test ! -f {archive}/%f && cp %p {archive}/%f'",
            "archive_timeout": "60",
        }
    )
    live.give_to_postgres(archive)
    restored: Cluster | None = None
    try:
        live.init()
        live.start()
        live.sql("CREATE DATABASE handregen")
        env = env_for(live.url())
        handregen(["migrate", "--verbosity", "0"], env)
        handregen(["backup", "--out", str(scratch / "base")], env)
        _marker("write", "A", env)
        time.sleep(1.0)
        target = datetime.now(UTC)
        time.sleep(1.0)
        _marker("write", "B", env)
        live.sql("SELECT pg_switch_wal()")
        _wait_archived(live)
        live.stop("fast")

        restored = Cluster(root=scratch / "restore")
        started = time.perf_counter()
        restored.data.mkdir(mode=0o700)
        subprocess.run(["tar", "-xzf", str(scratch / "base" / "base.tar.gz"), "-C", str(restored.data)], check=True)
        subprocess.run(
            ["tar", "-xzf", str(scratch / "base" / "pg_wal.tar.gz"), "-C", str(restored.data / "pg_wal")],
            check=True,
        )
        with (restored.data / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"restore_command = 'cp {archive}/%f %p'\n")
            conf.write(f"recovery_target_time = '{target.isoformat()}'\n")
            conf.write("recovery_target_action = 'promote'\n")
            conf.write("archive_mode = 'off'\n")
        (restored.data / "recovery.signal").touch()
        restored.give_to_postgres(restored.root)
        restored.start()
        _wait_promoted(restored)
        report.restore_seconds = time.perf_counter() - started
        _check_restored(env_for(restored.url()), report)
    finally:
        live.remove()
        if restored is not None:
            restored.remove()
    return report


def _wait_archived(cluster: Cluster, seconds: float = 30) -> None:
    current = cluster.sql("SELECT pg_walfile_name(pg_current_wal_lsn())")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        last = cluster.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
        if last and last >= _previous(current):
            return
        time.sleep(0.2)
    raise RuntimeError("the WAL archive did not catch up within 30 s")


def _previous(walfile: str) -> str:
    # The switched-out segment is the one before the current; names compare in order within one timeline.
    return walfile[:-8] + f"{max(int(walfile[-8:], 16) - 1, 0):08X}"


def _wait_promoted(cluster: Cluster, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cluster.sql("SELECT pg_is_in_recovery()") == "f":
            return
        time.sleep(0.1)
    raise RuntimeError("the restored server did not finish recovery within 60 s")


def run(engine: str = "sqlite") -> DrillReport:
    scratch = Path(tempfile.mkdtemp(prefix="handregen-backup-drill."))
    scratch.chmod(0o755)  # the archive and the restore live below it and PostgreSQL runs as its own user
    try:
        return drill_postgres(scratch) if engine == "postgresql" else drill_sqlite(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="drills.backup")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    report = run(parser.parse_args().engine)
    for finding in report.findings:
        print("FINDING", finding)
    print(report.summary())
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
