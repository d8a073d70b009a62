"""A throw-away PostgreSQL cluster the drills can crash, archive and restore (as `postgres` when run as root)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin(name: str) -> str:
    installed = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    found = shutil.which(name) or next(iter(installed), None)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return str(found)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One data directory on a private port; `settings` are extra `-c` server settings."""

    def __init__(self, root: Path | None = None, settings: dict[str, str] | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="handregen-drill-pg."))
        self.root.mkdir(exist_ok=True)
        self.data = self.root / "db"
        self.port = _free_port()
        self.settings = {"listen_addresses": "127.0.0.1", "fsync": "on", **(settings or {})}
        self._as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_pg:
            shutil.chown(self.root, "postgres")

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self._as_pg, *command], capture_output=True, text=True, check=check)

    def give_to_postgres(self, path: Path) -> None:
        if self._as_pg:
            subprocess.run(["chown", "-R", "postgres", str(path)], check=True)

    def init(self) -> Cluster:
        self.run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} " + " ".join(f"-c {k}={v}" for k, v in self.settings.items())
        self.run(
            _bin("pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-t",
            "120",
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self.run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, database: str = "handregen") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = self.run(
            _bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-Atc", statement
        )
        return done.stdout.strip()

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
