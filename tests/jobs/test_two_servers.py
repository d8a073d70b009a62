"""Issue 21's done-when: two app servers (gunicorn) and two workers on one PostgreSQL share jobs and files. An
export started through one server is finished by whichever worker takes it and downloaded through the other
server; every job is done exactly once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from handregen.accounts.services import token_create
from handregen.audit.models import AuditEvent
from handregen.interop.models import BulkExportJob

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = 4


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    d = connection.settings_dict
    password = f":{d['PASSWORD']}" if d.get("PASSWORD") else ""
    return f"postgres://{d['USER']}{password}@{d['HOST']}:{d['PORT']}/{d['NAME']}"


def _call(url: str, token: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(  # noqa: S310 - our own servers on 127.0.0.1
        url, method=method, headers={"Authorization": f"Bearer {token}", "Prefer": "respond-async"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own servers on 127.0.0.1
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait_until_up(base: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/fhir/R4/metadata", timeout=60).read()  # noqa: S310
            return
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{base} answered {error.code}: {error.read()[:500]!r}") from error
        except OSError as error:
            last = error
            time.sleep(0.2)
    raise AssertionError(f"{base} did not start: {last}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_servers_and_two_workers_share_jobs_and_files(tmp_path, make_patient, persona):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL shared by several processes: run scripts/with-postgres .venv/bin/pytest")
    patients = {str(make_patient().pk) for _ in range(3)}
    token = token_create(username=persona("data_steward").user.username, site_code="demo")
    shared = tmp_path / "shared-files"
    base_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "handregen.settings",
        "DATABASE_URL": _database_url(),
        "HANDREGEN_FILES_DIR": str(shared),  # the shared store; each process has its own var folder
        "HANDREGEN_BULK_MAX_RUNNING_PER_USER": "10",
        "HANDREGEN_BULK_MAX_PER_HOUR": "100",
        "HANDREGEN_WORKER_BEAT_SECONDS": "1",
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    ports = [_port(), _port()]
    processes = []
    try:
        for n, port in enumerate(ports):
            env = base_env | {"HANDREGEN_VAR_DIR": str(tmp_path / f"server{n}")}
            command = [gunicorn, "handregen.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"]
            processes.append(subprocess.Popen(command, env=env, cwd=ROOT))
        for n in range(2):
            env = base_env | {"HANDREGEN_VAR_DIR": str(tmp_path / f"worker{n}")}
            command = [sys.executable, "-m", "handregen.cli", "worker", "--interval", "0.1", "--worker-id", f"w{n}"]
            processes.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL))
        one, other = (f"http://127.0.0.1:{port}" for port in ports)
        with ThreadPoolExecutor(2) as pool:  # both servers load the app at once
            list(pool.map(_wait_until_up, [one, other]))

        status_paths = []
        for _ in range(EXPORTS):
            code, headers, body = _call(f"{one}/fhir/R4/$export", token)
            assert code == 202, body
            status_paths.append(headers["Content-Location"].removeprefix(one))

        manifests = []
        deadline = time.monotonic() + 40
        for path in status_paths:
            while (answer := _call(f"{other}{path}", token))[0] == 202 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert answer[0] == 200, answer
            manifests.append(json.loads(answer[2]))

        for manifest in manifests:
            patient_url = next(o["url"] for o in manifest["output"] if o["type"] == "Patient")
            assert patient_url.startswith(one)  # the server that took the kick-off named the files…
            code, _, body = _call(patient_url.replace(one, other), token)  # …and the other one serves them
            assert code == 200
            assert {json.loads(line)["id"] for line in body.decode().splitlines()} == patients
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    jobs = DBTaskResult.objects.filter(task_path__endswith="fhir_export")
    assert jobs.count() == EXPORTS
    assert all(job.status == "SUCCESSFUL" and len(job.worker_ids) == 1 for job in jobs)
    assert BulkExportJob.objects.count() == EXPORTS
    assert AuditEvent.objects.filter(action="export.fhir").count() == EXPORTS  # each export ran once
    assert AuditEvent.objects.filter(action="export.fhir_downloaded").count() == EXPORTS
    print("jobs per worker:", sorted(job.worker_ids[0] for job in jobs))
