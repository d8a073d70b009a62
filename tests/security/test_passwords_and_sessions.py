"""Passwords (A1) and session lifetime (A4, A5)."""

import time

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client

from tests.conftest import PASSWORD

# The project's hashers, plus the fast one the test fixtures signed the personas in with.
ARGON2 = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


@pytest.fixture
def client_of(signed_in):
    return signed_in()


def _sign_in(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def _change(client, new):
    return client.post("/account/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})


def test_a_64_character_passphrase_is_accepted_and_stored_with_argon2(client_of, physician, settings):
    settings.PASSWORD_HASHERS = ARGON2
    passphrase = "copper kettle whistles softly while the harbour fog lifts at dawn"[:64]
    assert _change(client_of, passphrase).status_code == 302
    physician.user.refresh_from_db()
    assert physician.user.password.startswith("argon2")
    assert physician.user.check_password(passphrase)


def test_a_14_character_password_is_refused_with_a_clear_message(client_of, physician):
    response = _change(client_of, "fourteen chars")
    assert response.status_code == 200
    assert "at least 15 characters" in response.content.decode()
    physician.user.refresh_from_db()
    assert physician.user.check_password(PASSWORD)


def test_a_common_password_is_refused(client_of):
    response = _change(client_of, "1q2w3e4r5t6y7u8i9o0p")
    assert "too common" in response.content.decode()


def test_no_composition_rule_applies(client_of):
    assert _change(client_of, "all lower case words only here").status_code == 302


def test_an_old_pbkdf2_hash_is_upgraded_to_argon2_at_the_next_sign_in(physician, settings):
    settings.PASSWORD_HASHERS = ARGON2
    user = physician.user
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    assert _sign_in(Client(), user.username).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2")


def test_the_session_key_changes_at_sign_in(physician):
    client = Client()
    client.get("/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/login/", {"username": physician.user.username, "password": PASSWORD})
    assert client.session.session_key != before


def test_a_session_idle_for_16_minutes_is_over(client_of):
    assert client_of.get("/").status_code == 200
    session = Session.objects.get(session_key=client_of.session.session_key)
    session.expire_date = session.expire_date.replace(year=2000)  # what 16 idle minutes amount to
    session.save()
    response = client_of.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_activity_renews_the_15_minute_idle_expiry_at_most_once_a_minute(client_of, monkeypatch, settings):
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert client_of.get("/").status_code == 200
    key = client_of.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    assert client_of.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == first  # not written again within the minute
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    assert client_of.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date > first


def test_any_session_ends_12_hours_after_sign_in(client_of, monkeypatch):
    assert client_of.get("/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 12 * 3600 + 60)
    response = client_of.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_signing_out_deletes_the_server_side_session(client_of):
    key = client_of.session.session_key
    client_of.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()


def test_deactivating_a_user_ends_every_session_of_theirs(physician, signed_in):
    first, second = signed_in(), signed_in()
    for client in (first, second):
        assert client.get("/").status_code == 200
    physician.user.is_active = False
    physician.user.save()
    for client in (first, second):
        assert client.get("/").status_code == 302


def test_a_password_change_ends_the_users_other_sessions(client_of, signed_in):
    other = signed_in()
    assert _change(client_of, "a brand new long passphrase here").status_code == 302
    assert client_of.get("/").status_code == 200
    assert other.get("/").status_code == 302
