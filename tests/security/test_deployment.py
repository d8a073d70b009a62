"""Production settings pass Django's deployment checks, and the app's own checks refuse unsafe databases."""

import os
import subprocess
import sys

from handregen.checks import durability_problems

PRODUCTION_ENV = {
    "HANDREGEN_ENV": "production",
    "HANDREGEN_SECRET_KEY": "x" * 20 + "a-dummy-but-long-and-varied-secret-key-for-the-check-1234567890",
    "HANDREGEN_ALLOWED_HOSTS": "clinic.example.org",
    "DJANGO_SETTINGS_MODULE": "handregen.settings",
}


def _handregen(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a check of deployment settings.
    inherited = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    full_env = inherited | env
    return subprocess.run(
        [sys.executable, "-m", "handregen.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = _handregen(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV | {"HANDREGEN_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "HANDREGEN_SECRET_KEY"}
    result = _handregen("check", env=env | {"HANDREGEN_VAR_DIR": str(tmp_path), "HANDREGEN_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "HANDREGEN_SECRET_KEY" in result.stderr


def test_durable_postgresql_settings_pass():
    assert durability_problems({"fsync": "on", "full_page_writes": "on", "synchronous_commit": "on"}) == []


def test_each_unsafe_postgresql_setting_is_named():
    problems = durability_problems({"fsync": "off", "full_page_writes": "on", "synchronous_commit": "off"})
    assert problems == [
        "PostgreSQL fsync is 'off'; it must be on.",
        "PostgreSQL synchronous_commit is 'off'; it must be on or remote_write or remote_apply or local.",
    ]
