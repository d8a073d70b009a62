"""Z6 fail closed: an exception inside the policy check or the scope lookup gives a generic error and no data.

`Actor.can` (every role question, from services, selectors, views and the API) is made to raise; so, in a
second round, are the look-ups that turn a session or a token into an Actor. A patient page, API objects and
the FHIR read then answer a non-2xx status, carry an X-Correlation-ID header that the error log line repeats,
and show no canary value of the patient.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from handregen.accounts.actor import Actor
from tests.security.world import World


class PolicyBroke(RuntimeError):
    pass


def _raise(*args: Any, **kwargs: Any) -> bool:
    raise PolicyBroke("policy store unavailable")


@pytest.fixture
def world(persona: Any, make_patient: Any, make_episode: Any) -> World:
    w = World(persona, make_patient, make_episode)
    w.episode  # noqa: B018 - build the patient and an episode before the policy breaks
    return w


def _requests(world: World, signed_in: Any, api: Any) -> list[tuple[str, Any]]:
    web = signed_in("physician")
    web.raise_request_exception = False
    token = api("physician")
    fhir = Client(raise_request_exception=False)
    token.client.raise_request_exception = False
    return [
        ("patient page", lambda: web.get(reverse("web:patient", kwargs={"patient_id": world.patient.pk}))),
        ("episode page", lambda: web.get(reverse("web:episode", kwargs={"episode_id": world.episode.pk}))),
        ("API patient", lambda: token.get(f"/api/v1/patients/{world.patient.pk}")),
        ("API episode", lambda: token.get(f"/api/v1/episodes/{world.episode.pk}")),
        ("API patient search", lambda: token.get("/api/v1/patients", q=world.canary)),
        (
            "FHIR patient",
            lambda: fhir.get(
                reverse("fhir:read", kwargs={"resource_type": "Patient", "resource_id": world.patient.pk}),
                headers=token.headers,
            ),
        ),
    ]


def _check(world: World, caplog: pytest.LogCaptureFixture, requests: list[tuple[str, Any]]) -> list[str]:
    wrong = []
    for label, call in requests:
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="handregen.errors"):
            response = call()
        body = response.content.decode("utf-8", "replace")
        correlation = response.get("X-Correlation-ID", "")
        if 200 <= response.status_code < 400:
            wrong.append(f"{label}: answered {response.status_code}")
        if world.canary in body or world.canary_given in body or world.patient.mrn in body:
            wrong.append(f"{label}: the body shows the patient's data")
        if not correlation:
            wrong.append(f"{label}: no X-Correlation-ID header")
        elif response.status_code >= 500 and not any(correlation in r.getMessage() for r in caplog.records):
            wrong.append(f"{label}: the error log does not carry correlation {correlation}")
    return wrong


def test_a_raising_policy_check_fails_closed(
    world: World, signed_in: Any, api: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    requests = _requests(world, signed_in, api)
    monkeypatch.setattr(Actor, "can", _raise)
    assert not _check(world, caplog, requests)


def test_a_raising_actor_look_up_fails_closed(
    world: World, signed_in: Any, api: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    requests = _requests(world, signed_in, api)
    import handregen.api
    import handregen.edge.access
    import handregen.interop.fhir.views

    for module in (handregen.api, handregen.interop.fhir.views):
        monkeypatch.setattr(module, "actor_for_token", _raise)
    monkeypatch.setattr(handregen.edge.access, "actor_for", _raise)
    assert not _check(world, caplog, requests)


def test_the_error_answer_is_generic(world: World, signed_in: Any, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = api("physician")
    client.client.raise_request_exception = False
    monkeypatch.setattr(Actor, "can", _raise)
    response = client.get(f"/api/v1/patients/{world.patient.pk}")
    assert response.status_code == 500
    assert "policy store unavailable" not in response.content.decode()
    assert "PolicyBroke" not in response.content.decode()
