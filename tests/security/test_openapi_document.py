"""The OpenAPI document tells a client every refusal it can get and where a created record leads (I1)."""

from __future__ import annotations

from typing import Any

import pytest

from handregen.openapi_links import LINKS

PROBLEM = "application/problem+json"


@pytest.fixture
def document(api) -> dict[str, Any]:
    response = api().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_every_operation_documents_its_problem_json_refusals(document):
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        expected = {"401", "403"} | ({"404"} if "{" in path else set())
        expected |= {"409", "422"} if method == "post" else set()
        assert expected <= responses.keys(), (method, path, sorted(responses))
        for status in expected:
            assert PROBLEM in responses[status]["content"], (method, path, status)


def test_every_link_of_a_created_record_leads_to_an_operation_that_takes_the_named_parameter(document):
    by_id = {op["operationId"]: (path, op) for _, path, op in _operations(document)}
    linked_sources = set()
    for _, _, operation in _operations(document):
        for link in operation["responses"].get("201", {}).get("links", {}).values():
            linked_sources.add(operation["operationId"])
            path, target = by_id[link["operationId"]]
            for parameter in link.get("parameters", {}):
                assert "{" + parameter.removeprefix("path.") + "}" in path, (link, path)
            for field in link.get("requestBody", {}):
                schema_ref = target["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert field in document["components"]["schemas"][schema_ref.split("/")[-1]]["properties"]
    # A renamed view would silently drop its links: every source in the table must still be linked.
    assert linked_sources == set(LINKS)
