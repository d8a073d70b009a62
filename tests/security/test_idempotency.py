"""R5 for the API: every POST honours an Idempotency-Key (generated from the OpenAPI document, so a new endpoint
is covered without touching this file), and a repeated AE submission stores one event."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.utils import timezone

from handregen.safety.models import AdverseEvent
from handregen.submissions.models import IdempotentRequest
from tests.journeys import to_consulted


def _sample(parameter: dict[str, Any]) -> str:
    schema = parameter.get("schema", {})
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("type") == "integer":
        return "1"
    return "sample"


def _post_operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, item in schema["paths"].items():
        operation = item.get("post")
        if operation is None:
            continue
        url = path
        for parameter in operation.get("parameters", []) + item.get("parameters", []):
            if parameter.get("in") == "path":
                url = url.replace("{" + parameter["name"] + "}", _sample(parameter))
        found.append((operation.get("operationId", path), url))
    return found


def _post(client, url: str, body: Any, key: str | None, token: str):
    headers = {"Authorization": f"Bearer {token}"} | ({"Idempotency-Key": key} if key else {})
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_every_post_endpoint_replays_the_first_answer_and_refuses_the_key_with_another_body(api, persona):
    caller = api("physician")
    token = caller.headers["Authorization"].removeprefix("Bearer ")
    operations = _post_operations(caller.get("/api/v1/openapi.json").json())
    assert len(operations) >= 20  # the document lists the API's POST endpoints
    for name, url in operations:
        key = f"test-{uuid.uuid4()}"
        first = _post(caller.client, url, {"probe": 1}, key, token)
        again = _post(caller.client, url, {"probe": 1}, key, token)
        assert first.status_code < 500, name
        assert (again.status_code, again.content) == (first.status_code, first.content), name
        assert again["Idempotent-Replayed"] == "true", name
        other = _post(caller.client, url, {"probe": 2}, key, token)
        assert other.status_code == 422 and other.json()["title"] == "Idempotency key reused", name
    assert IdempotentRequest.objects.count() == len(operations)


def test_the_same_adverse_event_sent_twice_with_one_key_is_stored_once(api, make_episode, persona):
    episode = to_consulted(make_episode(), persona("physician"))
    caller = api("nurse")
    token = caller.headers["Authorization"].removeprefix("Bearer ")
    body = {
        "term": "injection_site_pain_flare",
        "onset_date": timezone.localdate().isoformat(),
        "grade": 1,
        "serious": False,
        "relatedness": "possible",
    }
    url = f"/api/v1/episodes/{episode.pk}/adverse-events"
    first = _post(caller.client, url, body, "ae-1", token)
    assert first.status_code == 201, first.content
    # Key order and spacing do not make another body.
    again = caller.client.post(
        url,
        json.dumps(dict(reversed(body.items())), indent=2),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "ae-1"},
    )
    assert again.status_code == 201 and again.json() == first.json()
    assert AdverseEvent.objects.filter(episode=episode).count() == 1
    second = body | {"description": "a second flare, after the first had settled"}
    assert _post(caller.client, url, second, "ae-2", token).status_code == 201  # a new key is a new event
    assert AdverseEvent.objects.filter(episode=episode).count() == 2


@pytest.mark.parametrize("key", ["", " ", "k" * 201])
def test_an_empty_or_overlong_key_is_refused(api, key):
    caller = api("physician")
    token = caller.headers["Authorization"].removeprefix("Bearer ")
    response = (
        _post(caller.client, "/api/v1/patients", {}, key or None, token)
        if key == ""
        else _post(caller.client, "/api/v1/patients", {}, key, token)
    )
    if key == "":
        assert response.status_code == 422 and "Idempotency" not in response.content.decode()
    else:
        assert response.status_code == 422 and response.json()["title"] == "Invalid idempotency key"


def test_keys_belong_to_their_caller(api):
    nurse, physician = api("nurse"), api("physician")
    url = "/api/v1/patients"
    body = {"mrn": "K-1"}
    a = _post(nurse.client, url, body, "shared", nurse.headers["Authorization"].removeprefix("Bearer "))
    b = _post(physician.client, url, body, "shared", physician.headers["Authorization"].removeprefix("Bearer "))
    assert "Idempotent-Replayed" not in b and a.status_code == b.status_code == 422
