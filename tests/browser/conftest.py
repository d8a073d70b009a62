"""Real headless Chromium (Debian's package) driven by Playwright against Django's live server."""

from __future__ import annotations

import os
import shutil
import time
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
def new_tab(chromium: object, live_server: object) -> Iterator[Callable[..., object]]:
    """`new_tab(**context_options)`: a tab in a fresh browser context (its own cookies, so another person can sign
    in) on a desktop-sized screen unless told otherwise; requests leaving the machine are blocked and recorded."""
    contexts: list[tuple[object, list[str]]] = []
    csp_refusals: list[str] = []

    def only_local(outside: list[str]) -> Callable[[object], None]:
        def route_filter(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            if url.startswith(live_server.url) or url.startswith("data:"):  # type: ignore[attr-defined]
                route.continue_()  # type: ignore[attr-defined]
            else:
                outside.append(url)
                route.abort()  # type: ignore[attr-defined]

        return route_filter

    def make(**options: object) -> object:
        options = {"viewport": {"width": 1280, "height": 900}} | options
        context = chromium.new_context(base_url=live_server.url, **options)  # type: ignore[attr-defined]
        outside: list[str] = []
        context.route("**/*", only_local(outside))
        contexts.append((context, outside))
        tab = context.new_page()
        tab.outside_requests = outside  # type: ignore[attr-defined]
        # a refusal by the CSP means something on the page does not draw or run as written (inline styles too)
        tab.on(
            "console",
            lambda message: csp_refusals.append(message.text) if "Content Security Policy" in message.text else None,
        )
        return tab

    yield make
    for context, _ in contexts:
        context.close()  # type: ignore[attr-defined]
    outside_all = [url for _, outside in contexts for url in outside]
    assert outside_all == [], f"the page tried to reach outside the machine: {outside_all}"
    assert csp_refusals == [], f"the page broke its own Content Security Policy: {csp_refusals[:3]}"


@pytest.fixture
def page(new_tab: Callable[..., object]) -> object:
    """A fresh browser tab on a desktop-sized screen; requests leaving the machine are blocked and recorded."""
    return new_tab()


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
        from django_otp.oath import TOTP
        from django_otp.plugins.otp_totp.models import TOTPDevice

        actor = persona(role, site_code)
        device, _ = TOTPDevice.objects.get_or_create(user=actor.user, name="phone", defaults={"confirmed": True})
        app = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        app.time = time.time()
        if app.t() <= device.last_t:  # signed in again within 30 s: this code was used; the app's next one is
            app.drift += device.last_t + 1 - app.t()  # accepted (tolerance of one step)
        tab.goto("/login/")  # type: ignore[attr-defined]
        tab.get_by_label("Username").fill(actor.user.username)  # type: ignore[attr-defined]
        tab.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
        tab.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
        tab.get_by_label("Code").fill(f"{app.token():06d}")  # type: ignore[attr-defined]
        tab.get_by_role("button", name="Continue").click()  # type: ignore[attr-defined]

    return act
