"""Patients' links start with the address the clinic serves: HANDREGEN_BASE_URL, else what `serve` binds."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from handregen.outcomes.links import questionnaire_link_create
from handregen.pathway.management.commands import serve
from tests.outcomes.conftest import follow_up


@pytest.fixture
def no_server(monkeypatch):
    """`serve` without starting a server (gunicorn, or runserver with DEBUG) nor collecting static files; the base
    URL it sets is put back afterwards."""
    started = []
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: started.append(args))
    monkeypatch.setattr(serve.subprocess, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(serve.os, "execve", lambda path, args, env: started.append((args[1:], env)))
    monkeypatch.delenv("HANDREGEN_BASE_URL", raising=False)
    before = django_settings.HANDREGEN_BASE_URL
    yield started
    django_settings.HANDREGEN_BASE_URL = before


def test_serve_sets_the_links_origin_from_the_address_it_binds(no_server, scheduled, nurse, capsys):
    call_command("serve", bind="127.0.0.1:8100")
    [(gunicorn_args, env)] = no_server
    assert gunicorn_args[:3] == ["handregen.wsgi", "--bind", "127.0.0.1:8100"]
    assert env["HANDREGEN_BASE_URL"] == "http://127.0.0.1:8100"  # gunicorn's workers read it afresh
    url = questionnaire_link_create(actor=nurse, follow_up=follow_up(scheduled(days_ago=14), "w2"))
    assert url.startswith("http://127.0.0.1:8100/q/")
    assert "http://127.0.0.1:8100/q/" in capsys.readouterr().out  # it says what it serves


def test_a_given_base_url_wins_over_the_bound_address(no_server, monkeypatch, scheduled, nurse):
    monkeypatch.setenv("HANDREGEN_BASE_URL", "https://clinic.example.org")
    django_settings.HANDREGEN_BASE_URL = "https://clinic.example.org"
    call_command("serve", bind="0.0.0.0:8100")
    url = questionnaire_link_create(actor=nurse, follow_up=follow_up(scheduled(days_ago=14), "w2"))
    assert url.startswith("https://clinic.example.org/q/")


def test_all_interfaces_name_this_host_and_ipv6_is_bracketed(monkeypatch):
    monkeypatch.setattr(serve.socket, "getfqdn", lambda: "clinic-pc.local")
    assert serve.base_url_for("0.0.0.0:8100") == "http://clinic-pc.local:8100"
    assert serve.base_url_for("[::1]:8000") == "http://[::1]:8000"
    assert serve.base_url_for("192.168.1.20:9000") == "http://192.168.1.20:9000"
