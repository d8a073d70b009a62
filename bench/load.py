"""R4/R5 under load: 50 staff sessions on gunicorn and PostgreSQL, with a bulk export and a cohort report running.

Locust (bench/locustfile.py) drives 50 signed-in staff users on 127.0.0.1 for a bounded time: worklists,
episode pages, patient search, and registering patients with an episode through the API. Meanwhile one FHIR
bulk export and one cohort report run. Afterwards: zero 5xx, every acknowledged registration stored exactly once
with exactly one audit event, the server's memory over the run (first quarter against last quarter), and each
request's p95 latency against `/health` under the same load (the same-run baseline).
Usage: python -m bench load [--size N]   (make load)
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil
from drills.pgcluster import Cluster

from bench.common import BenchResult

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
STAFF_SESSIONS = 50
SECONDS = 60
WORKLISTS = ["to-evaluate", "to-decide", "to-consent", "follow-up"]

SEED_SCRIPT = """
import json, django
django.setup()
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from handregen.accounts.models import User
from handregen.accounts.selectors import actor_for
from handregen.accounts.services import staff_ensure, token_create
from handregen.demo import build_demo
from handregen.pathway.models import Episode
from bench.seed import seed_patients
build_demo()
physician = User.objects.get(username="physician")
actor = actor_for(user=physician)
seed_patients(actor=actor, count=SIZE)
cookies = []
for n in range(10):
    user = staff_ensure(site=actor.site, username=f"load.nurse{n}", role="nurse", password="load test password 1")
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="load", defaults={"confirmed": True})
    for _ in range(5):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        cookies.append(client.cookies["sessionid"].value)
episodes = [str(pk) for pk in Episode.objects.filter(site=actor.site).values_list("pk", flat=True)[:200]]
print(json.dumps({"token": token_create(username="physician"), "admin_token": token_create(username="siteadmin"),
                  "cookies": cookies, "episodes": episodes, "worklists": WORKLISTS}))
"""

CHECK_SCRIPT = """
import json, sys, django
django.setup()
from collections import Counter
from handregen.audit.models import AuditEvent
from handregen.patients.models import Patient
acked = [line.strip() for line in open(sys.argv[1]) if line.strip()]
stored = Counter(Patient.objects.filter(mrn__startswith="LOAD-").values_list("mrn", flat=True))
ids = dict(Patient.objects.filter(mrn__in=acked).values_list("mrn", "pk"))
audited = Counter(AuditEvent.objects.filter(action="patient.register", object_id__in=[str(i) for i in ids.values()])
                  .values_list("object_id", flat=True))
print(json.dumps({
    "acknowledged": len(acked),
    "lost": sorted(set(acked) - set(stored)),
    "duplicated": sorted(m for m, n in stored.items() if n > 1) + sorted(m for m, n in Counter(acked).items() if n > 1),
    "audit_missing_or_twice": sorted(m for m, pk in ids.items() if audited[str(pk)] != 1),
}))
"""


def _wait_up(base: str) -> None:
    for _ in range(1800):  # three minutes: on a busy machine the workers import pandas and scipy slowly
        try:
            urllib.request.urlopen(base + "/health", timeout=1)  # noqa: S310 - loopback only
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _sample_memory(pid: int, samples: list[float], stop: threading.Event) -> None:
    """Resident memory of the server (master and workers), in MiB, once a second."""
    while not stop.is_set():
        try:
            root = psutil.Process(pid)
            samples.append(sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20)
        except psutil.NoSuchProcess:
            return
        stop.wait(1.0)


def _start_export(base: str, token: str) -> str | None:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/fhir/R4/$export",
        headers={"Authorization": f"Bearer {token}", "Prefer": "respond-async", "Accept": "application/fhir+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.headers.get("Content-Location")
    except OSError as exc:
        print("bulk export not started:", exc)
        return None


def _export_done(url: str | None, token: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while url and time.monotonic() < deadline:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                if answer.status == 200:
                    return True
        except OSError:
            return False
        time.sleep(1.0)
    return False


def run(size: int = 2000, seconds: int = SECONDS) -> BenchResult:
    workdir = Path(tempfile.mkdtemp(prefix="handregen-load-"))
    cluster = Cluster(settings={"fsync": "off", "max_connections": "200"}).init()
    cluster.start()
    cluster.sql("CREATE DATABASE handregen")
    env = os.environ | {
        "DATABASE_URL": cluster.url(),
        "HANDREGEN_VAR_DIR": str(workdir),
        "HANDREGEN_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "handregen.settings",
        "HANDREGEN_DEMO_PASSWORD": "load test password 1",
        "HANDREGEN_LOG_LEVEL": "WARNING",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([str(BIN / "handregen"), "migrate", "-v0"], env=env, check=True)
        script = SEED_SCRIPT.replace("SIZE", str(size)).replace("WORKLISTS", repr(WORKLISTS))
        seed = subprocess.run([sys.executable, "-c", script], env=env, check=False, capture_output=True, text=True)
        if seed.returncode != 0:
            raise RuntimeError(f"seeding failed: {seed.stderr[-2000:]}")
        seeded = seed.stdout.strip().splitlines()[-1]
        port = cluster.port + 1 if cluster.port < 65000 else 18080
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "handregen.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "4",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        processes.append(server)
        if (
            shutil.which("handregen", path=str(BIN))
            and "worker"
            in subprocess.run([str(BIN / "handregen"), "help"], env=env, capture_output=True, text=True).stdout
        ):
            processes.append(subprocess.Popen([str(BIN / "handregen"), "worker"], env=env))
        _wait_up(base)
        memory: list[float] = []
        stop = threading.Event()
        sampler = threading.Thread(target=_sample_memory, args=(server.pid, memory, stop), daemon=True)
        sampler.start()

        admin_token = json.loads(seeded)["admin_token"]
        export_url = _start_export(base, admin_token)
        report_started = time.perf_counter()
        report = subprocess.Popen(
            [str(BIN / "handregen"), "report", "cohort", "--out", str(workdir / "cohort.pdf"), "--user", "physician"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(report)
        acks = workdir / "acks.txt"
        acks.touch()
        locust_env = env | {"HANDREGEN_LOAD_SEED": seeded, "HANDREGEN_LOAD_ACKS": str(acks)}
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--only-summary",
                "-u",
                str(STAFF_SESSIONS),
                "-r",
                "10",
                "-t",
                f"{seconds}s",
                "--host",
                base,
                "--csv",
                str(workdir / "load"),
                "--exit-code-on-error",
                "0",
                "--loglevel",
                "WARNING",
            ],
            env=locust_env,
            check=True,
            cwd=ROOT,
        )
        report_ok = report.wait(timeout=600) == 0
        report_seconds = time.perf_counter() - report_started
        export_ok = _export_done(export_url, admin_token, 120)
        stop.set()
        sampler.join(timeout=5)
        checked = subprocess.run(
            [sys.executable, "-c", CHECK_SCRIPT, str(acks)], env=env, check=True, capture_output=True, text=True
        )
        return _result(size, workdir, json.loads(checked.stdout), memory, report_ok, report_seconds, export_ok)
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        cluster.remove()
        shutil.rmtree(workdir, ignore_errors=True)


def _result(
    size: int,
    workdir: Path,
    writes: dict[str, object],
    memory: list[float],
    report_ok: bool,
    report_seconds: float,
    export_ok: bool,
) -> BenchResult:
    with open(workdir / "load_stats.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] != "Aggregated"]
    with open(workdir / "load_failures.csv") as f:
        failures = list(csv.DictReader(f))
    server_errors = sum(int(r["Occurrences"]) for r in failures if any(f"{c}" in r["Error"] for c in range(500, 600)))
    result = BenchResult("load", size)
    total = sum(int(r["Request Count"]) for r in rows)
    result.add(
        "requests",
        total,
        "requests",
        note=f"{STAFF_SESSIONS} staff sessions; "
        f"{sum(int(r['Failure Count']) for r in rows)} failed, {server_errors} of them 5xx",
    )
    result.add("5xx answers", server_errors, "answers", baseline=None)
    lost, duplicated, audit = (writes["lost"], writes["duplicated"], writes["audit_missing_or_twice"])
    result.add(
        "acknowledged registrations lost or stored twice",
        len(lost) + len(duplicated),
        "writes",  # type: ignore[arg-type]
        note=f"{writes['acknowledged']} acknowledged; {len(audit)} without exactly one audit event",
    )  # type: ignore[arg-type]
    health = next((float(r["95%"]) for r in rows if r["Name"] == "health"), None)
    for r in rows:
        result.add(
            f"p95 {r['Name']}",
            float(r["95%"]),
            "ms",
            baseline=health,
            note=f"{r['Request Count']} requests, median {r['50%']} ms",
        )
    if memory:
        quarter = max(1, len(memory) // 4)
        first, last = sum(memory[:quarter]) / quarter, sum(memory[-quarter:]) / quarter
        result.add(
            "server memory, last quarter",
            last,
            "MiB",
            baseline=first,
            target_ratio=1.2,
            lower_is_better=True,
            note=f"first quarter {first:.0f} MiB, peak {max(memory):.0f} MiB (gunicorn master and 4 workers)",
        )
    result.add("cohort report during the load", report_seconds, "s", note="finished" if report_ok else "FAILED")
    result.add(
        "bulk export during the load",
        1.0 if export_ok else 0.0,
        "done",
        note="manifest served" if export_ok else "not finished (is a worker running?)",
    )
    return result
