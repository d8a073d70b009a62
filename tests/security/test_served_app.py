"""Issue 19 finding 5 and issue 18: `make run` serves with DEBUG off, through gunicorn, with real error pages,
compressed answers, hashed static files with long cache lifetimes, and a favicon.

One test starts the real `handregen serve` (as `make run` does) on a free port and asks it what the tester asked.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

URL_LIST_SIGNS = ("Using the URLconf", "urlpatterns", "api/v1/", "episodes/<uuid", "Django tried these")
TRACEBACK_SIGNS = ("Traceback", "Local vars", "SECRET_KEY", "DATABASES", "INSTALLED_APPS", "settings.py")


def _settings_debug(env: dict[str, str]) -> str:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("HANDREGEN_DEBUG", "DJANGO_ALLOW"))}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
        env=inherited | {"DJANGO_SETTINGS_MODULE": "handregen.settings"} | env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_debug_is_off_unless_asked_for(tmp_path):
    assert _settings_debug({"HANDREGEN_VAR_DIR": str(tmp_path)}) == "False"
    assert _settings_debug({"HANDREGEN_VAR_DIR": str(tmp_path), "HANDREGEN_DEBUG": "1"}) == "True"


def test_the_demo_secret_key_is_generated_once_into_var(tmp_path):
    from handregen.settings_env import local_secret_key

    key = local_secret_key(tmp_path / "secret-key")
    assert len(key) >= 50 and key == local_secret_key(tmp_path / "secret-key")
    assert (tmp_path / "secret-key").stat().st_mode & 0o077 == 0  # readable by its owner only
    assert key != local_secret_key(tmp_path / "other" / "secret-key")


def test_a_404_page_lists_no_url_pattern(client, signed_in):
    for who in (client, signed_in("physician")):
        response = who.get("/episodes/not-a-uuid/nothing-here/")
        body = response.content.decode()
        assert response.status_code == 404
        assert "Page not found" in body and 'rel="stylesheet"' in body
        assert not [sign for sign in URL_LIST_SIGNS if sign in body]


def test_an_api_404_is_problem_json(client):
    response = client.get("/api/v1/no-such-thing-here")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_a_forced_500_shows_no_traceback_no_local_values_and_no_settings(signed_in, monkeypatch):
    import handregen.web.views as views

    def explode(**kwargs: Any) -> None:
        medication_list = "Zqmedication warfarin 5 mg"  # a local value DEBUG's page would print
        raise RuntimeError(f"failed with {medication_list}")

    monkeypatch.setattr(views, "patient_search", explode)
    client = signed_in()
    client.raise_request_exception = False
    response = client.get("/patients/", {"q": "Tyler"})
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body and response["X-Correlation-ID"] in body
    assert "Zqmedication" not in body and "warfarin" not in body
    assert not [sign for sign in TRACEBACK_SIGNS if sign in body]


def test_pages_are_compressed_for_a_browser_that_accepts_it(client):
    response = client.get("/login/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]


def test_the_favicon_is_not_a_404(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local http URL we built
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def served(tmp_path):
    """`handregen serve` as `make run` starts it (no HANDREGEN_DEBUG), on a free port, with its own var/ and
    static folders."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDREGEN_", "DJANGO_ALLOW", "DATABASE_URL"))}
    env |= {"HANDREGEN_VAR_DIR": str(tmp_path / "var"), "HANDREGEN_STATIC_ROOT": str(tmp_path / "static")}
    process = subprocess.Popen(
        [sys.executable, "-m", "handregen.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # collecting and compressing the static files first takes a while
        while True:
            try:
                _get(base + "/health")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail("handregen serve did not start:\n" + process.communicate()[0].decode()[-3000:])
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_make_run_serves_with_gunicorn_debug_off_compressed_and_cached(served):
    status, headers, body = _get(served + "/no-such-page/")
    assert status == 404 and headers["Server"].startswith("gunicorn")
    assert not [sign for sign in URL_LIST_SIGNS if sign in body.decode()]

    status, headers, body = _get(served + "/login/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"

    status, _, body = _get(served + "/login/")
    stylesheet = re.search(r'href="(/static/web/handregen\.[0-9a-f]{12}\.css)"', body.decode())
    assert stylesheet, "the stylesheet has a hashed name"
    status, headers, _ = _get(served + stylesheet.group(1), **{"Accept-Encoding": "br, gzip"})
    assert status == 200 and headers["Content-Encoding"] == "br"
    assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]

    status, headers, _ = _get(served + "/favicon.ico")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
