"""Shared fixtures: two sites, named personas, API clients and one-line factories."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site
from handregen.accounts.services import site_ensure, staff_ensure, token_create
from handregen.pathway.models import Episode
from handregen.pathway.services import episode_open, protocol_sync_shipped
from handregen.patients.models import Patient
from handregen.patients.services import patient_register

# The suite runs on two shared cores: how fast Hypothesis generates examples says nothing about the code, so
# neither a slow example (deadline) nor slow generation (too_slow) fails a test; the examples stay the same.
hypothesis_settings.register_profile("handregen", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("handregen")

PASSWORD = "correct horse battery staple 42"
_mrns = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is deliberately slow; tests that check hashing set it back explicitly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


AUDIT_TEST_KEY = "test1:" + "5eed" * 16


@pytest.fixture(autouse=True)
def _audit_key_and_anchor_outside_the_repository(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    # The audit chains' key and anchor file (U10) for tests: a fixed key, and anchors in the test's temporary
    # folder rather than the checkout's var/ (they are written only when a test's transaction commits).
    settings.HANDREGEN_AUDIT_KEY = AUDIT_TEST_KEY
    settings.HANDREGEN_AUDIT_OLD_KEYS = ""
    settings.HANDREGEN_AUDIT_ANCHOR_FILE = str(tmp_path_factory.getbasetemp() / "audit-anchor.log")


@pytest.fixture
def demo_site(db: None) -> Site:
    protocol_sync_shipped()
    return site_ensure(code="demo", name="Demo Hand Clinic", facility_code="X9999")


@pytest.fixture
def north_site(db: None) -> Site:
    protocol_sync_shipped()
    return site_ensure(code="north", name="North Hand Clinic", facility_code="X9998")


@pytest.fixture
def persona(demo_site: Site, north_site: Site) -> Callable[[str], Actor]:
    """`persona("physician")` is the physician of Demo; `persona("physician", "north")` the one of North."""
    cache: dict[tuple[str, str], Actor] = {}

    def make(role: str, site_code: str = "demo") -> Actor:
        key = (role, site_code)
        if key not in cache:
            site = demo_site if site_code == "demo" else north_site
            user = staff_ensure(site=site, username=f"{role}.{site_code}", role=role, password=PASSWORD)
            cache[key] = Actor(user=user, site=site, role=role)
        return cache[key]

    return make


@pytest.fixture
def physician(persona: Callable[[str], Actor]) -> Actor:
    return persona("physician")


@pytest.fixture
def make_patient(physician: Actor) -> Callable[..., Patient]:
    def make(actor: Actor | None = None, **overrides: Any) -> Patient:
        fields: dict[str, Any] = {
            "mrn": f"T{next(_mrns):06d}",
            "given_name": "Rose",
            "family_name": "Tyler",
            "birth_date": date(1958, 4, 1),
            "sex": "female",
            "dominant_hand": "right",
        } | overrides
        return patient_register(actor=actor or physician, **fields)

    return make


@pytest.fixture
def make_episode(physician: Actor, make_patient: Callable[..., Patient]) -> Callable[..., Episode]:
    def make(actor: Actor | None = None, patient: Patient | None = None, **overrides: Any) -> Episode:
        actor = actor or physician
        fields: dict[str, Any] = {"indication": "thumb_cmc_oa", "side": "right", "target_joints": ["CMC1"]} | overrides
        return episode_open(actor=actor, patient=patient or make_patient(actor), **fields)

    return make


def signing(actor: Actor) -> dict[str, str]:
    """What a signer types at signing time: their password and, when they have an authenticator, a fresh code.

    The device forgets its last used code first, as the 30 seconds before the next code would: tests sign
    several times a second, and django-otp rightly refuses a code used twice.
    """
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=actor.user, confirmed=True).first()
    if device is None:
        return {"password": PASSWORD, "otp_code": ""}
    device.last_t = -1
    device.save(update_fields=["last_t"])
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return {"password": PASSWORD, "otp_code": str(totp.token()).zfill(device.digits)}


def verified_client(actor: Actor) -> Client:
    """A browser-like client of `actor`'s user, signed in with a verified second factor.

    The sign-in and two-factor pages themselves are tested in tests/security; here the state they lead
    to is set up directly.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=actor.user, name="test app", defaults={"confirmed": True})
    client = Client()
    client.force_login(actor.user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in(persona: Callable[..., Actor]) -> Callable[..., Client]:
    """`signed_in("nurse")`: a client of Demo's nurse, signed in with a verified second factor."""

    def make(role: str = "physician", site_code: str = "demo") -> Client:
        return verified_client(persona(role, site_code))

    return make


class ApiClient:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(path, body or {}, content_type="application/json", headers=self.headers)


@pytest.fixture
def api(persona: Callable[[str], Actor]) -> Callable[..., ApiClient]:
    """`api("physician")` is an API client holding a token of Demo's physician."""

    def make(role: str | None = "physician", site_code: str = "demo") -> ApiClient:
        if role is None:
            return ApiClient(None)
        actor = persona(role, site_code)
        return ApiClient(token_create(username=actor.user.username, site_code=site_code))

    return make


@pytest.fixture(autouse=True)
def _append_only_tables_flushable(request: pytest.FixtureRequest) -> Any:
    """Let Django flush append-only tables after a transactional test (live server, concurrency).

    The flush deletes every row, which the append-only triggers rightly refuse on SQLite; empty those
    tables first with the triggers briefly dropped (see `empty_append_only_tables_for_tests`).
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or "live_server" in request.fixturenames
    if not transactional:
        yield
        return
    from handregen.audit.append_only_sql import empty_append_only_tables_for_tests

    request.getfixturevalue("transactional_db")
    yield
    empty_append_only_tables_for_tests()
