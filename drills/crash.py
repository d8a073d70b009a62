"""R2, crash safety: kill a writer doing real pathway steps at random points and check nothing acknowledged is lost.

Each iteration starts `drills.workload`, waits for its first commit, lets it go on for a random while, and kills it
with SIGKILL; on
PostgreSQL every other iteration also stops the server with `pg_ctl stop -m immediate` (a power cut for the
database) and starts it again. Then `drills.check` verifies: every acknowledged patient, episode and finished
journey exists, every custody event has its audit event, the audit chains verify, and SQLite's
`PRAGMA integrity_check` is ok.
Usage: python -m drills.crash [--engine sqlite|postgresql] [--iterations N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from drills.common import ROOT, env_for, handregen, python_module
from drills.pgcluster import Cluster


@dataclass
class CrashReport:
    engine: str
    iterations: int = 0
    acknowledged: int = 0
    server_crashes: int = 0
    findings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"crash drill ({self.engine}): {self.iterations} kills, {self.server_crashes} database crashes, "
            f"{self.acknowledged} acknowledged writes checked, {len(self.findings)} findings"
        )


def _kill_writer(env: dict[str, str], tag: str, seconds: float) -> list[str]:
    """Start the writer, wait for its first commit, let it write `seconds` more, SIGKILL it; return its acks."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "drills.workload", tag],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    acks: list[str] = []
    first = threading.Event()

    def read() -> None:
        for line in writer.stdout or []:
            acks.append(line.strip())
            first.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    first.wait(timeout=120)  # Django's start-up is not what this drill is about: kill while it writes
    time.sleep(seconds)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    reader.join(timeout=5)
    return acks


def run(
    engine: str = "sqlite", iterations: int = 10, seed: int = 1, min_s: float = 0.1, max_s: float = 4.0
) -> CrashReport:
    rng = random.Random(seed)
    report = CrashReport(engine)
    cluster: Cluster | None = None
    scratch = Path(tempfile.mkdtemp(prefix="handregen-crash."))
    try:
        if engine == "postgresql":
            cluster = Cluster().init()
            cluster.start()
            cluster.sql("CREATE DATABASE handregen")
            env = env_for(cluster.url())
        else:
            env = env_for(f"sqlite:///{scratch / 'crash.sqlite3'}")
        handregen(["migrate", "--verbosity", "0"], env)
        all_acks: list[str] = []
        for i in range(iterations):
            all_acks += _kill_writer(env, f"{seed}-{i}", rng.uniform(min_s, max_s))
            report.iterations += 1
            if cluster is not None and i % 2 == 1:
                cluster.stop("immediate")
                cluster.start()
                report.server_crashes += 1
            acks_file = scratch / "acks.txt"
            acks_file.write_text("\n".join(all_acks) + "\n")
            checked = python_module("drills.check", [str(acks_file)], env)
            if checked.returncode not in (0, 1):
                report.findings.append(f"the check itself failed: {checked.stderr.strip()[-500:]}")
            report.findings += [f"after kill {i + 1}: {line}" for line in checked.stdout.splitlines() if line]
        report.acknowledged = len(all_acks)
    finally:
        if cluster is not None:
            cluster.remove()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(prog="drills.crash")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    report = run(args.engine, args.iterations, args.seed)
    for finding in report.findings:
        print("FINDING", finding)
    print(report.summary())
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
