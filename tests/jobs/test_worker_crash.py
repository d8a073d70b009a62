"""R2 for jobs: a worker killed with SIGKILL in the middle of a job loses nothing. Real `handregen worker`
processes on a SQLite file database: the job is taken again by another worker and done, or, after its last
attempt, failed with a reason; it never stays "running" for ever and never runs twice at once."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult

ROOT = Path(__file__).resolve().parents[2]
TABLE = DBTaskResult._meta.db_table


def _env(var: Path, **extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return (
        inherited
        | {
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            "DJANGO_SETTINGS_MODULE": "handregen.settings",
            "HANDREGEN_VAR_DIR": str(var),
            "HANDREGEN_WORKER_BEAT_SECONDS": "1",
            "HANDREGEN_WORKER_LOST_AFTER_SECONDS": "3",
            "HANDREGEN_REMIND_EVERY_SECONDS": "0",
            "HANDREGEN_EXPORT_CLEANUP_EVERY_SECONDS": "0",
        }
        | extra
    )


def _handregen(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "handregen.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    var = tmp_path_factory.mktemp("template")
    result = _handregen("migrate", "--verbosity", "0", env=_env(var))
    assert result.returncode == 0, result.stderr
    return var / "handregen.sqlite3"


def _queue_slow_job(env: dict[str, str], marker: Path, seconds: float) -> str:
    code = (
        "import django; django.setup(); from tests.jobs.tasks import slow_marker; "
        f"print(slow_marker.enqueue({str(marker)!r}, {seconds}).id)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _worker(env: dict[str, str], worker_id: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "handregen.cli", "worker", "--interval", "0.2", "--worker-id", worker_id],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _job(database: Path, job_id: str) -> tuple[str, str, str]:
    with sqlite3.connect(database) as db:
        row = db.execute(f"SELECT status, worker_ids, traceback FROM {TABLE} WHERE id = ?", (job_id.replace("-", ""),))
        found = row.fetchone()
    assert found is not None
    return found


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _crash_mid_job(tmp_path: Path, migrated: Path, **settings: str) -> tuple[Path, str, Path, subprocess.Popen[bytes]]:
    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(migrated, var / "handregen.sqlite3")
    env = _env(var, **settings)
    marker = tmp_path / "marker"
    job_id = _queue_slow_job(env, marker, 3)
    first = _worker(env, "first")
    try:
        assert _wait_for(lambda: marker.exists() and "started" in marker.read_text(), 60), "the job never started"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = _worker(env, "second")
    return var / "handregen.sqlite3", job_id, marker, second


def test_a_job_whose_worker_is_killed_is_taken_again_and_done_once(tmp_path, migrated):
    database, job_id, marker, second = _crash_mid_job(tmp_path, migrated)
    try:
        assert _wait_for(lambda: _job(database, job_id)[0] == "SUCCESSFUL", 60), _job(database, job_id)
    finally:
        _stop(second)
    _, worker_ids, _ = _job(database, job_id)
    assert worker_ids == '["first", "second"]'
    lines = marker.read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["started", "started", "done"]
    assert lines[1].split()[1] == lines[2].split()[1] != lines[0].split()[1]  # the second worker did it


def test_a_job_lost_on_its_last_attempt_fails_visibly_and_is_not_run_again(tmp_path, migrated):
    database, job_id, marker, second = _crash_mid_job(tmp_path, migrated, HANDREGEN_JOB_MAX_ATTEMPTS="1")
    try:
        assert _wait_for(lambda: _job(database, job_id)[0] == "FAILED", 60), _job(database, job_id)
    finally:
        _stop(second)
    _, worker_ids, reason = _job(database, job_id)
    assert worker_ids == '["first"]' and "stopped before it ended, 1 time(s)" in reason
    assert marker.read_text().count("started") == 1


def test_a_worker_started_beside_the_server_stops_when_its_parent_does(tmp_path, migrated):
    """`make run` starts `handregen worker --exit-with <make's pid>`: the worker must not outlive it."""
    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(migrated, var / "handregen.sqlite3")
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    worker = subprocess.Popen(
        [sys.executable, "-m", "handregen.cli", "worker", "--exit-with", str(parent.pid)],
        env=_env(var),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: _beats(var / "handregen.sqlite3") == 1, 60), "the worker never beat"
        assert worker.poll() is None
        parent.kill()
        parent.wait()
        assert _wait_for(lambda: worker.poll() is not None, 30), "the worker outlived its parent"
    finally:
        parent.kill()
        _stop(worker)
    assert worker.returncode == 0 and _beats(var / "handregen.sqlite3") == 0  # a clean stop leaves no heartbeat


def _beats(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM jobs_workerbeat").fetchone()[0]
