"""The route inventory shared by the Z1/Z2/Z3/D4 tests: every Django route and every API operation.

`django_routes()` walks the URL resolver (the ninja API's own patterns included); `api_operations()` reads the
OpenAPI document, so each API operation comes with its HTTP method.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from handregen.api import api

API_PREFIX = "/api/v1"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    pattern: str  # the joined pattern text, as Django prints it


def _walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> Iterator[Route]:
    for item in patterns:
        if isinstance(item, URLResolver):
            ns = namespace + (f"{item.namespace}:" if item.namespace else "")
            yield from _walk(item.url_patterns, prefix + str(item.pattern), ns)
        else:
            yield Route(name=namespace + (item.name or ""), pattern=prefix + str(item.pattern))


def django_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))


def api_operations() -> list[tuple[str, str]]:
    """(METHOD, path template) for every operation of the REST API, e.g. ("GET", "/api/v1/patients/{patient_id}")."""
    schema = api.get_openapi_schema(path_prefix=API_PREFIX)
    ops = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in HTTP_METHODS:
                ops.append((method.upper(), path))
    return sorted(ops)


def fill(template: str, values: dict[str, object]) -> str:
    """Put values into an OpenAPI path template `{name}`."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)
