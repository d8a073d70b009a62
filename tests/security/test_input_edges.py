"""Issue 19, finding 7 (the lower findings), each as the tester tried it: out-of-range dates, oversized bodies,
query strings in the log, control characters and unvalidated e-mail, the API docs page, wrong-role actions."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from handregen.api import api as ninja_api
from handregen.patients.models import Patient
from tests.journeys import to_consulted
from tests.security.routes import API_PREFIX, fill

NEW_PATIENT = {
    "mrn": "EDGE-1",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birth_date": "1950-12-10",
    "sex": "female",
    "dominant_hand": "right",
}

# Dates a clinic never records, and which overflow date arithmetic or the conversion to UTC.
OUT_OF_RANGE = st.one_of(st.dates(max_value=dt.date(1899, 12, 31)), st.dates(min_value=dt.date(3000, 1, 1)))


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _date_kind(schema: dict[str, Any], node: dict[str, Any]) -> str | None:
    node = _resolve(schema, node)
    for option in [node, *node.get("anyOf", [])]:
        if option.get("format") in {"date", "date-time"}:
            return str(option["format"])
    return None


def date_inputs() -> list[tuple[str, str, str, str, str]]:
    """(method, path, where, field, format) for every date or date-time input of the API, top-level body fields
    and query parameters, read from the OpenAPI document."""
    schema = ninja_api.get_openapi_schema(path_prefix=API_PREFIX)
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                kind = _date_kind(schema, parameter.get("schema", {}))
                if kind:
                    found.append((method.upper(), path, parameter["in"], parameter["name"], kind))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                for name, prop in _resolve(schema, body).get("properties", {}).items():
                    kind = _date_kind(schema, prop)
                    if kind:
                        found.append((method.upper(), path, "body", name, kind))
                    items = _resolve(schema, prop.get("items", {})) if prop.get("type") == "array" else {}
                    for sub, sub_prop in items.get("properties", {}).items():  # a list of rows, each with a time
                        kind = _date_kind(schema, sub_prop)
                        if kind:
                            found.append((method.upper(), path, "body", f"{name}.0.{sub}", kind))
    return sorted(found)


DATE_INPUTS = date_inputs()


def test_the_api_has_date_inputs_to_check():
    names = {field for *_, field, _ in DATE_INPUTS}
    assert {"procedure_date", "birth_date", "onset_date"} <= names


@pytest.mark.parametrize("method, path, where, field, kind", DATE_INPUTS, ids=lambda v: str(v))
def test_every_api_date_out_of_range_is_a_422_naming_the_field(api, demo_site, method, path, where, field, kind):
    client = api("physician")

    @given(day=OUT_OF_RANGE)
    @hypothesis_settings(max_examples=8)
    def attempt(day: Any) -> None:
        value = day.isoformat() + ("T10:00:00+00:00" if kind == "date-time" else "")
        # every path parameter of the API gets a value (an id that exists nowhere: the date is checked first)
        names = set(re.findall(r"\{(\w+)\}", path))
        url = fill(path, {name: uuid.uuid4() for name in names})
        if where == "query":
            response = client.client.generic(method, url, headers=client.headers, QUERY_STRING=f"{field}={value}")
        else:
            name, _, sub = field.partition(".0.")
            body = {name: [{sub: value}]} if sub else {name: value}
            response = client.client.generic(
                method, url, data=json.dumps(body), content_type="application/json", headers=client.headers
            )
        assert response.status_code == 422, (url, value, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]]

    attempt()


def test_every_form_of_the_app_checks_its_input():
    """Each page form is a CheckedForm, so the shared rules (dates in range, no control characters) hold on every
    page without each form repeating them."""
    import django.forms

    from handregen.edge.form_rules import CheckedForm

    def subclasses(cls: type) -> set[type]:
        return set(cls.__subclasses__()).union(*(subclasses(c) for c in cls.__subclasses__()))

    ours = {c for c in subclasses(django.forms.Form) if c.__module__.startswith("handregen.")}
    assert len(ours) > 20
    assert {c.__qualname__ for c in ours if not issubclass(c, CheckedForm)} == set()


@given(day=OUT_OF_RANGE, hour=st.integers(0, 23))
def test_a_checked_form_refuses_any_date_or_time_out_of_range(day, hour):
    import django.forms

    from handregen.edge.form_rules import CheckedForm

    class Dated(CheckedForm):
        on = django.forms.DateField()
        at = django.forms.DateTimeField()

    form = Dated({"on": day.isoformat(), "at": f"{day.isoformat()} {hour:02d}:00"})
    assert not form.is_valid()
    assert set(form.errors) == {"on", "at"}


def test_the_testers_procedure_date_is_a_422_in_the_api_and_a_form_error_on_the_page(api, make_episode, signed_in):
    episode = make_episode()
    response = api().get(f"/api/v1/episodes/{episode.pk}/preparation", procedure_date="0001-01-01")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "procedure_date"
    page = signed_in().get(f"/episodes/{episode.pk}/preparation/instructions/", {"procedure_date": "0001-01-01"})
    assert page.status_code == 200
    assert "must be a date between the years 1900 and 2999" in page.content.decode()


def test_a_page_form_refuses_a_date_out_of_range_next_to_its_field(signed_in):
    page = signed_in().post("/patients/new/", NEW_PATIENT | {"birth_date": "0001-01-01"})
    assert page.status_code == 200 and "must be a date between the years" in page.content.decode()
    assert not Patient.objects.exists()


def test_an_oversized_api_body_is_a_413_problem(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api().post("/api/v1/patients", NEW_PATIENT | {"given_name": "x" * 20_000})
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert not Patient.objects.exists()


def test_an_oversized_page_form_is_a_413_page(signed_in, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = signed_in()
    client.raise_request_exception = False
    response = client.post("/patients/new/", NEW_PATIENT | {"given_name": "x" * 20_000})
    assert response.status_code == 413 and "too large" in response.content.decode()


def test_no_query_string_reaches_the_log_only_the_route_and_status(signed_in, caplog):
    client = signed_in()
    with caplog.at_level(logging.DEBUG):
        client.get("/patients/00000000-0000-0000-0000-000000000000/", {"q": "Zqcanary Tyler"})
        client.get("/no-such-page/", {"name": "Zqcanary Tyler"})
    assert "Zqcanary" not in caplog.text
    assert "404" in caplog.text and "web:patient" in caplog.text
    # The development server's request lines (they carry query strings) are not logged at all.
    assert not logging.getLogger("django.server").isEnabledFor(logging.ERROR)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f"])
def test_a_control_character_in_an_api_text_field_is_a_422_naming_it(api, character):
    response = api().post("/api/v1/patients", NEW_PATIENT | {"mrn": f"MRN{character}1"})
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["mrn"]
    assert not Patient.objects.exists()


def test_a_control_character_in_an_api_query_is_a_422(api, demo_site):
    response = api().get("/api/v1/patients", q="Ty\x00ler")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "q"


def test_tabs_and_line_breaks_stay_allowed_in_notes(api, make_episode):
    episode = make_episode()
    response = api().post(f"/api/v1/episodes/{episode.pk}/withdraw", {"reason": "Moved away.\r\n\tNew clinic."})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("character", ["\x00", "\x1b"])
def test_a_control_character_in_a_page_form_is_a_form_error(signed_in, character):
    page = signed_in().post("/patients/new/", NEW_PATIENT | {"mrn": f"MRN{character}1"})
    body = page.content.decode()
    # Django's own rule answers for a NUL ("Null characters are not allowed"), the shared one for the rest.
    assert page.status_code == 200
    assert "must not contain control characters" in body or "Null characters are not allowed" in body
    assert not Patient.objects.exists()


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "two@@example.org", "x@example.org\x00"])
def test_an_invalid_email_is_refused_by_the_api(api, email):
    response = api().post("/api/v1/patients", NEW_PATIENT | {"email": email})
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["email"]
    assert not Patient.objects.exists()


def test_a_valid_email_and_an_empty_one_are_accepted(api):
    assert api().post("/api/v1/patients", NEW_PATIENT | {"email": "ada@example.org"}).status_code == 201
    assert api().post("/api/v1/patients", NEW_PATIENT | {"mrn": "EDGE-2", "email": ""}).status_code == 201


def test_the_api_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "/static/ninja/swagger-ui.css" in page
    assert "cdn" not in page.lower() and "https://" not in page
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_a_wrong_role_action_on_the_web_is_a_403_page(make_episode, physician, signed_in):
    episode = to_consulted(make_episode(), physician)
    answers = {f"c_{c.code}": "yes" if c.kind == "inclusion" else "no" for c in episode.protocol.definition.criteria}
    page = signed_in("nurse").post(f"/episodes/{episode.pk}/candidacy/", answers | {"decision": "eligible"})
    assert page.status_code == 403
    assert "Your role may not do this" in page.content.decode()
