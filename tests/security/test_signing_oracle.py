"""A7 no credential oracle outside sign-in: re-authentication at signing and second-person verification.

The hostile tester signed in as a Demo lab technician and released a product naming a North physician as the
verifier: the right password answered "… may not verify product releases at this site", a wrong one "the
verifier's username or password is not right". Candidacy and consent signing answered "the password is not
right" and then moved the error to `otp_code` once the password was right. Nothing was throttled. Here the same
attempts, through the API, must give identical answers, count towards a lockout, and cost the same hashing work.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from handregen.accounts.reauth import SIGNER_REFUSED, VERIFIER_REFUSED
from handregen.audit.models import AuditEvent
from handregen.cellproducts.models import CellProduct
from tests.cellproducts.chain import harvested, make_team, processed
from tests.conftest import PASSWORD, verified_client
from tests.journeys import CONSENT_BODY, criteria_body, to_consulted, to_eligible

WRONG = "not the password at all, just a guess"


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast, as in every test) that counts how often a password is hashed, and can be made slow."""

    calls = 0
    delay = 0.0

    def encode(self, password: str, salt: str) -> str:
        type(self).calls += 1
        time.sleep(self.delay)
        return super().encode(password, salt)


@pytest.fixture
def counting(settings: Any) -> type[CountingHasher]:
    settings.PASSWORD_HASHERS = ["tests.security.test_signing_oracle.CountingHasher"]
    CountingHasher.calls, CountingHasher.delay = 0, 0.0
    return CountingHasher


def _answer(response: Any) -> tuple[int, Any]:
    return response.status_code, response.json()


@pytest.fixture
def release(make_episode: Any, persona: Any, api: Any) -> Any:
    """`release(username, password)`: Demo's lab technician releases a processed product through the API."""
    team = make_team(persona)
    product = processed(harvested(make_episode(team.physician), team), team)
    client = api("lab_technician")

    def attempt(username: str, password: str, otp_code: str = "") -> Any:
        body = {"verifier_username": username, "verifier_password": password, "verifier_otp_code": otp_code,
                "password": PASSWORD}  # fmt: skip
        return client.post(f"/api/v1/products/{product.pk}/release", body)

    attempt.team = team  # type: ignore[attr-defined]
    attempt.product = product  # type: ignore[attr-defined]
    return attempt


def test_a_verifier_of_another_site_gets_the_same_answer_for_the_right_and_a_wrong_password(release, persona):
    north = persona("physician", "north")
    nurse = persona("nurse")  # a Demo user whose role may not verify

    def fresh(username: str, password: str) -> tuple[int, Any]:
        AccessAttempt.objects.all().delete()  # each try judged on its credentials, not on the lockout
        return _answer(release(username, password))

    answers = {
        "north, right password": fresh(north.user.username, PASSWORD),
        "north, wrong password": fresh(north.user.username, WRONG),
        "demo nurse, right password": fresh(nurse.user.username, PASSWORD),
        "demo nurse, wrong password": fresh(nurse.user.username, WRONG),
        "unknown user": fresh("no.such.user", PASSWORD),
        "demo verifier, wrong password": fresh(release.team.lab2.user.username, WRONG),
    }
    assert len({repr(a) for a in answers.values()}) == 1, answers
    status, body = answers["north, right password"]
    assert status == 409 and body["reasons"] == [VERIFIER_REFUSED]
    assert "Physician" not in str(body) and north.user.username not in str(body)
    # what was wrong goes to the audit trail only
    refused = AuditEvent.objects.filter(action="auth.signing_refused").order_by("seq")
    details = list(refused.values_list("reason", flat=True))
    assert details == ["not a user of this site", "not a user of this site", "role may not verify",
                       "role may not verify", "unknown user", "wrong password"]  # fmt: skip
    assert CellProduct.objects.get(pk=release.product.pk).status == "processed"


def test_a_verifier_is_locked_after_five_wrong_tries_and_then_even_the_right_password_is_refused(release, settings):
    verifier = release.team.lab2.user.username
    wrong = [_answer(release(verifier, f"{WRONG} {n}")) for n in range(settings.AXES_FAILURE_LIMIT)]
    locked = _answer(release(verifier, PASSWORD))
    assert locked == wrong[0] and locked[1]["reasons"] == [VERIFIER_REFUSED]
    assert CellProduct.objects.get(pk=release.product.pk).status == "processed"
    assert AuditEvent.objects.filter(action="auth.lockout", object_id=verifier).exists()
    assert AuditEvent.objects.filter(action="auth.signing_refused").order_by("-seq")[0].reason.startswith("locked")
    # the failures sit in django-axes' own table, like sign-in's
    attempts = AccessAttempt.objects.filter(username=verifier)
    assert sum(a.failures_since_start for a in attempts) == settings.AXES_FAILURE_LIMIT + 1
    # after the cool-off the right credentials release the product
    attempts.update(attempt_time=attempts[0].attempt_time - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert release(verifier, PASSWORD).status_code == 200
    assert not AccessAttempt.objects.filter(username=verifier).exists()


def test_an_actor_who_sprays_guesses_over_many_verifiers_is_stopped_too(release, persona, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        release(f"someone.{n}", WRONG)
    # a real verifier with the right password is now refused: the acting user made too many failed tries
    assert _answer(release(release.team.lab2.user.username, PASSWORD))[1]["reasons"] == [VERIFIER_REFUSED]


def test_a_verifier_with_an_authenticator_gets_the_same_answer_without_the_code(release):
    verifier = release.team.lab2
    verified_client(verifier)  # enrols their authenticator, as their first sign-in does
    right_password_no_code = _answer(release(verifier.user.username, PASSWORD))
    wrong_password = _answer(release(verifier.user.username, WRONG))
    assert right_password_no_code == wrong_password
    assert "verifier_otp_code" not in str(right_password_no_code)


@pytest.fixture
def enrolled_physician_api(physician: Any, api: Any) -> Any:
    verified_client(physician)  # the physician has an authenticator
    return api("physician")


def test_candidacy_signing_answers_the_same_for_a_right_password_without_its_code(
    make_episode, physician, enrolled_physician_api
):
    episode = to_consulted(make_episode(), physician)

    def sign(password: str) -> tuple[int, Any]:
        body = {"criteria": criteria_body(), "decision": "eligible", "password": password, "otp_code": ""}
        return _answer(enrolled_physician_api.post(f"/api/v1/episodes/{episode.pk}/candidacy", body))

    right, wrong = sign(PASSWORD), sign(WRONG)
    assert right == wrong
    status, body = right
    assert status == 422 and body["errors"] == [{"field": "password", "message": SIGNER_REFUSED}]


def test_consent_signing_answers_the_same_and_locks_the_signer_after_five_failures(
    make_episode, physician, enrolled_physician_api, settings
):
    episode = to_eligible(make_episode(), physician)

    def sign(password: str) -> tuple[int, Any]:
        body = CONSENT_BODY | {"password": password, "otp_code": ""}
        return _answer(enrolled_physician_api.post(f"/api/v1/episodes/{episode.pk}/consent", body))

    first = sign(PASSWORD)  # right password, no code
    assert first[1]["errors"] == [{"field": "password", "message": SIGNER_REFUSED}]
    assert all(sign(f"{WRONG} {n}") == first for n in range(settings.AXES_FAILURE_LIMIT))
    # locked: even the right password with a right code is refused, with the same answer
    from tests.conftest import signing

    body = CONSENT_BODY | signing(physician)
    assert _answer(enrolled_physician_api.post(f"/api/v1/episodes/{episode.pk}/consent", body)) == first
    assert AuditEvent.objects.filter(action="auth.lockout", object_id=physician.user.username).exists()


def test_unknown_locked_and_open_verifiers_cost_the_same_password_hashing(release, counting, settings):
    verifier = release.team.lab2.user.username

    def hashes(username: str, password: str) -> int:
        before = counting.calls
        release(username, password)
        return counting.calls - before

    # the releasing technician's own password is hashed too: one hash each for them and for the verifier
    assert hashes("no.such.user", WRONG) == hashes(verifier, WRONG) == 2
    for n in range(settings.AXES_FAILURE_LIMIT):
        release(verifier, f"{WRONG} {n}")
    assert hashes(verifier, PASSWORD) == 2  # locked: hashed all the same


def _sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_a_locked_sign_in_hashes_the_password_like_an_open_one(physician, counting, settings):
    client = Client()
    before = counting.calls
    _sign_in(client, physician.user.username, WRONG)
    assert counting.calls - before == 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, physician.user.username, WRONG)
    before = counting.calls
    _sign_in(client, physician.user.username, PASSWORD)  # locked out now
    assert counting.calls - before == 1


def test_a_locked_sign_in_takes_as_long_as_an_open_one(physician, counting, settings):
    counting.delay = 0.15  # hashing dominates, as Argon2 does in production
    open_client, locked_client = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(locked_client, physician.user.username, WRONG)

    def seconds(client: Client, username: str) -> float:
        start = time.perf_counter()
        _sign_in(client, username, WRONG)
        return time.perf_counter() - start

    open_time = min(seconds(open_client, "someone.else") for _ in range(2))
    locked_time = min(seconds(locked_client, physician.user.username) for _ in range(2))
    # both spend the hashing time (the rest of each answer is a few milliseconds); without the dummy hash the
    # locked answer came back in a fraction of it. No ratio is asserted: two shared cores make timings jumpy.
    assert locked_time >= counting.delay and open_time >= counting.delay


def test_the_session_key_changes_when_the_second_factor_is_verified(physician):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=physician.user, name="phone", confirmed=True)
    client = Client()
    _sign_in(client, physician.user.username, PASSWORD)
    after_password = client.session.session_key
    assert client.post("/account/two-factor/", {"code": f"{totp(device.bin_key):06d}"}).status_code == 302
    assert client.session.session_key != after_password
    assert client.get("/").status_code == 200
