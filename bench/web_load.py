"""Web and API under load: gunicorn on loopback, wrk with 16 connections, against a trivial view.

Baseline: `/health`, a trivial Django view served by the same gunicorn through the same middleware.
Target: each endpoint reaches at least 40 % of the baseline's requests per second.
Second, fairer baseline: `/health/staff`, a trivial view behind the staff door (session, second factor, site
role), so that the cost of signing in is told apart from the page's own; each page's note gives its ratio to it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import BenchResult

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(env: dict[str, str], size: int) -> dict[str, str]:
    """Migrate, build the demo, add `size` patients with episodes; return a token, a session cookie and ids."""
    script = f"""
import django, os
django.setup()
from django.test import Client
from handregen.demo import build_demo
from handregen.accounts.selectors import actor_for
from handregen.accounts.models import User
from handregen.accounts.services import token_create
from bench.seed import seed_patients
build_demo()
user = User.objects.get(username="physician")
episode = seed_patients(actor=actor_for(user=user), count={size})
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
client = Client()
client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
session = client.session
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
print("TOKEN=" + token_create(username="physician"))
print("COOKIE=" + client.cookies["sessionid"].value)
print("EPISODE=" + str(episode.pk))
"""
    subprocess.run([str(BIN / "handregen"), "migrate", "-v0"], env=env, check=True)
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _check_200(url: str, headers: list[str]) -> None:
    """The page itself must answer 200: a redirect (to sign-in or two-factor) would measure the wrong thing."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))  # noqa: S310
    try:
        status = urllib.request.build_opener(NoRedirect).open(request, timeout=10).status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 200:
        raise RuntimeError(f"{url} answered {status}, not 200; the benchmark would measure the wrong page")


def _wrk(url: str, seconds: int, headers: list[str]) -> tuple[float, float, float]:
    """Requests per second and p50/p99 latency in ms."""
    _check_200(url, headers)
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} failed responses under load")

    def pct(p: str) -> float:
        value, unit = re.search(rf"{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return rps, pct("50"), pct("99")


def run(size: int = 300, seconds: int = 8) -> BenchResult:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (Debian package wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="handregen-bench-"))
    env = os.environ | {
        "HANDREGEN_VAR_DIR": str(workdir),
        "DJANGO_SETTINGS_MODULE": "handregen.settings",
        "HANDREGEN_DEMO_PASSWORD": "bench password long enough",
        "HANDREGEN_DEBUG": "false",
        "HANDREGEN_LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    seeded = _seed(env, size)
    port = _free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "handregen.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)  # noqa: S310 - loopback only
                break
            except OSError:
                time.sleep(0.1)
        cookie = [f"Cookie: sessionid={seeded['COOKIE']}"]
        bearer = [f"Authorization: Bearer {seeded['TOKEN']}"]
        result = BenchResult("web_load", size)
        baseline, b50, b99 = _wrk(base + "/health", seconds, [])
        result.add("baseline /health", baseline, "req/s", note=f"p50 {b50:.1f} ms, p99 {b99:.1f} ms")
        staff, s50, s99 = _wrk(base + "/health/staff", seconds, cookie)
        result.add(
            "staff health (signed in)",
            staff,
            "req/s",
            baseline=baseline,
            note=f"p50 {s50:.1f} ms, p99 {s99:.1f} ms; the second baseline",
        )
        for name, path, headers in [
            ("worklist page", "/worklists/to-evaluate/", cookie),
            ("episode page", f"/episodes/{seeded['EPISODE']}/", cookie),
            ("patient search page", "/patients/?q=Tyl", cookie),
            ("patient search API", "/api/v1/patients?q=Tyl&limit=20", bearer),
        ]:
            rps, p50, p99 = _wrk(base + path, seconds, headers)
            result.add(
                name,
                rps,
                "req/s",
                baseline=baseline,
                target_ratio=0.4,
                note=f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; {rps / staff:.2f} of staff health",
            )
        return result
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
