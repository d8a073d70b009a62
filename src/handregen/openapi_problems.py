"""The problem+json answers every API operation can give, written into the OpenAPI document.

Ninja documents only the success status of each operation; a client (and Schemathesis) must also learn
which refusals to expect. The rules follow the exception handlers in `handregen.api`: 400 for a body that
is not JSON, 401/403 for the token and the role, 404 where a path names a record, 409 where a write can
be refused by a guard, 422 where the request carries fields to validate. A 404 also answers a body that
names a record (a patient, a product) this site does not hold.
"""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_DESCRIPTIONS = {
    "400": "The body is not valid JSON.",
    "401": "No valid bearer token.",
    "403": "The token's role may not do this.",
    "404": "No such record at this site.",
    "409": "Refused; `reasons` says why in plain words.",
    "422": "Invalid input; `errors` names each field.",
}
_WRITES = {"post", "put", "patch", "delete"}


def problem_statuses(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    """The refusal statuses an operation can answer with (see the module docstring)."""
    statuses = ["401", "403"]
    has_body = "requestBody" in operation
    if has_body:
        statuses.append("400")
    if "{" in path or has_body:
        statuses.append("404")
    if method in _WRITES:
        statuses.append("409")
    if has_body or operation.get("parameters"):
        statuses.append("422")
    return sorted(statuses)


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Document the problem+json refusals on every operation of `schema` (changed in place, returned)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            declared = {str(code) for code in responses}  # ninja keys its own statuses by int
            for status in problem_statuses(method, path, operation):
                if status not in declared:
                    responses[status] = {
                        "description": _DESCRIPTIONS[status],
                        "content": {PROBLEM: {"schema": problem_ref}},
                    }
    return schema
