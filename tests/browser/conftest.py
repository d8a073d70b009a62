"""Real headless Chromium (Debian's package) driven by Playwright against Django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed; `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: object, live_server: object) -> Iterator[object]:
    """A fresh browser tab on a desktop-sized screen; requests leaving the machine are blocked and recorded."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)  # type: ignore[attr-defined]
    outside: list[str] = []

    def only_local(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(live_server.url) or url.startswith("data:"):  # type: ignore[attr-defined]
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.outside_requests = outside  # type: ignore[attr-defined]
    yield tab
    context.close()
    assert outside == [], f"the page tried to reach outside the machine: {outside}"


@pytest.fixture
def screenshot() -> Callable[[object, str], Path]:
    ARTIFACTS.mkdir(exist_ok=True)

    def take(tab: object, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    return take


@pytest.fixture
def sign_in(persona: Callable[..., object]) -> Callable[..., None]:
    """Sign a persona in through the real sign-in and two-factor pages (their authenticator app enrolled)."""
    from tests.conftest import PASSWORD

    def act(tab: object, role: str = "physician", site_code: str = "demo") -> None:
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        actor = persona(role, site_code)
        device, _ = TOTPDevice.objects.get_or_create(user=actor.user, name="phone", defaults={"confirmed": True})
        tab.goto("/login/")  # type: ignore[attr-defined]
        tab.get_by_label("Username").fill(actor.user.username)  # type: ignore[attr-defined]
        tab.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
        tab.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
        tab.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")  # type: ignore[attr-defined]
        tab.get_by_role("button", name="Continue").click()  # type: ignore[attr-defined]

    return act
