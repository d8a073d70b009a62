"""The API's input door: every text a program sends (query and JSON body) meets the shared input rules, and an
oversized body is a 413, before any schema or service sees it (issue 19, finding 7)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from handregen.input_rules import control_character_problem
from handregen.web.errors import for_a_program, problem_response, too_large


class ApiInputMiddleware:
    """Refuse a query or JSON body holding a control character (422 naming the field) or too large (413)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if for_a_program(request):
            try:
                refused = _first_refusal(request)
            except RequestDataTooBig:
                return too_large(request)
            if refused:
                field, message = refused
                return problem_response(
                    422,
                    "Invalid input",
                    "Some fields are missing or invalid.",
                    errors=[{"field": field, "message": message}],
                )
        return self.get_response(request)


def _first_refusal(request: HttpRequest) -> tuple[str, str] | None:
    for field, text in _texts(request):
        problem = control_character_problem(text)
        if problem:
            return field, problem
    return None


def _texts(request: HttpRequest) -> Iterator[tuple[str, str]]:
    """(field, text) for every name and value of the query string and of a JSON body."""
    for name, values in request.GET.lists():
        yield name, name
        for value in values:
            yield name, value
    if "json" in (request.content_type or "") and request.method in {"POST", "PUT", "PATCH"}:
        try:
            body = json.loads(request.body)
        except ValueError:  # not JSON, or not UTF-8: the schema answers that
            return
        yield from _walk(body, "")


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, str(key)
            yield from _walk(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}.{index}" if path else str(index))
