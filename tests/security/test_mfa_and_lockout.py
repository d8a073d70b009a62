"""Staff two-factor sign-in (A3), login throttling (A2) and ending sessions when devices are removed (A5)."""

import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from handregen.accounts.mfa import mfa_reset
from handregen.audit.models import AuditEvent
from tests.conftest import PASSWORD


def _password_step(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


@pytest.fixture
def enrolled(physician):
    device = TOTPDevice.objects.create(user=physician.user, name="phone", confirmed=True)
    return physician, device


def test_a_password_alone_reaches_only_the_code_step(enrolled, make_episode):
    physician, _ = enrolled
    episode = make_episode()
    client = Client()
    assert _password_step(client, physician.user.username).status_code == 302
    for url in ("/", f"/episodes/{episode.pk}/", f"/patients/{episode.patient_id}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/"), url
    assert "Tyler" not in client.get(f"/episodes/{episode.pk}/", follow=True).content.decode()


def test_a_first_sign_in_without_a_device_leads_to_enrolment_and_backup_codes(physician):
    client = Client()
    _password_step(client, physician.user.username)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/two-factor/setup/")
    client.logout()
    codes = _enrol_through_the_pages(client, physician.user)
    assert len(codes) == 10
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa.enrol").count() == 1


def test_a_correct_code_opens_the_pages_and_the_same_code_cannot_be_replayed(enrolled):
    physician, device = enrolled
    code = f"{totp(device.bin_key):06d}"
    first = Client()
    _password_step(first, physician.user.username)
    assert first.post("/account/two-factor/", {"code": code, "next": "/"}).status_code == 302
    assert first.get("/").status_code == 200
    second = Client()
    _password_step(second, physician.user.username)
    response = second.post("/account/two-factor/", {"code": code, "next": "/"})
    assert response.status_code == 200 and "already used" in response.content.decode()
    assert second.get("/").status_code == 302


def _enrol_through_the_pages(client, user):
    _password_step(client, user.username)
    client.get("/account/two-factor/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page = client.post("/account/two-factor/setup/", {"code": f"{totp(device.bin_key):06d}", "next": "/"})
    return re.findall(r"<li><code>([0-9a-f]{10})</code></li>", page.content.decode())


def test_a_backup_code_works_once(physician):
    codes = _enrol_through_the_pages(Client(), physician.user)
    assert StaticToken.objects.count() == 10
    fresh = Client()
    _password_step(fresh, physician.user.username)
    assert fresh.post("/account/two-factor/", {"code": codes[0]}).status_code == 302
    assert fresh.get("/").status_code == 200
    again = Client()
    _password_step(again, physician.user.username)
    assert again.post("/account/two-factor/", {"code": codes[0]}).status_code == 200
    assert again.get("/").status_code == 302
    assert StaticToken.objects.count() == 9


def test_removing_the_devices_ends_every_session_of_the_user(physician, signed_in):
    first, second = signed_in(), signed_in()
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200
    mfa_reset(user=physician.user)
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302


def _normalised(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_five_failures_lock_the_username_and_address_with_the_same_answer_for_unknown_users(physician, settings):
    known, unknown = Client(), Client()
    answers = []
    for _ in range(6):
        answers.append(
            (
                _password_step(known, physician.user.username, "wrong password entirely"),
                _password_step(unknown, "no.such.user", "wrong password entirely"),
            )
        )
    for real, fake in answers:
        assert real.status_code == fake.status_code == 200
        assert _normalised(real) == _normalised(fake)
        assert "did not match" in real.content.decode()
    locked = _password_step(known, physician.user.username)  # right password, still locked out
    assert locked.status_code == 200 and "did not match" in locked.content.decode()
    assert AuditEvent.objects.filter(action="auth.lockout").exists()


def test_after_the_cool_off_the_user_can_sign_in_again(physician, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    client = Client()
    for _ in range(5):
        _password_step(client, physician.user.username, "wrong password entirely")
    assert _password_step(client, physician.user.username).status_code == 200
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16))
    assert _password_step(client, physician.user.username).status_code == 302


def test_the_demo_code_command_prints_a_code_that_signs_in(db, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    monkeypatch.setenv("HANDREGEN_DEMO_PASSWORD", "a demo password long enough")
    call_command("demo", stdout=StringIO())
    out = StringIO()
    call_command("mfa", "code", "nurse", stdout=out)
    client = Client()
    _password_step(client, "nurse", "a demo password long enough")
    assert client.post("/account/two-factor/", {"code": out.getvalue().strip()}).status_code == 302
    assert client.get("/").status_code == 200
