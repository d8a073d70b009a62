"""The fast FHIR checker agrees with fhir.resources' `model_validate` on valid and on broken resources, and the
bulk export written by several processes is the one written by one."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handregen.interop.fhir import bulk
from handregen.interop.fhir.builders import BY_PATIENT, patient_resource
from handregen.interop.fhir.validation import ResourceChecker

ODD_STRINGS = [
    "",
    " ",
    "x  y",
    " lead",
    "2025-13-01",
    "2025-02-30",
    "2025-01-07T25:00:00Z",
    "not a date",
    "-",
    "1.50",
    "a" * 65,
    "Patient/",
    "urn:uuid:",
    "tab\there",
]


@pytest.fixture
def resources(treated) -> list[dict[str, Any]]:
    episode = treated()
    patient = episode.patient
    return [patient_resource(patient), *(r for build in BY_PATIENT.values() for r in build(patient))]


def _model_accepts(resource: dict[str, Any]) -> bool:
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except (ValueError, TypeError):
        return False
    return True


def _checker_accepts(checker: ResourceChecker, resource: dict[str, Any]) -> bool:
    try:
        checker.checked(resource)
    except (ValueError, TypeError):
        return False
    return True


def _string_leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to every string value (not resourceType) in a resource."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        if isinstance(item, str) and key != "resourceType":
            yield (*path, key)
        yield from _string_leaves(item, (*path, key))


def _replaced(resource: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(resource)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def test_the_checker_gives_back_each_resource_as_its_model_serialises_it(resources):
    checker = ResourceChecker()
    for resource in resources:
        for _ in range(2):  # the first of a shape goes through the model, the second through the field types
            model = get_fhir_model_class(resource["resourceType"])
            serialised = model.model_validate(resource).model_dump(mode="json", exclude_none=True)
            assert checker.checked(resource) == serialised


def test_the_checker_refuses_exactly_the_broken_values_the_model_refuses(resources):
    """Every string of every resource replaced by odd values, the shape already learnt: same verdicts."""
    checked = refused = 0
    for resource in resources:
        checker = ResourceChecker()
        checker.checked(resource)
        for path in _string_leaves(resource):
            for odd in ODD_STRINGS:
                broken = _replaced(resource, path, odd)
                verdict = _model_accepts(broken)
                assert _checker_accepts(checker, broken) is verdict, (resource["resourceType"], path, odd)
                checked += 1
                refused += not verdict
    assert checked > 500 and refused > 100  # the test did look at broken resources


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],  # a shared machine
)
@given(data=st.data())
def test_any_string_in_any_element_gets_the_models_verdict(resources, data):
    resource = data.draw(st.sampled_from(resources))
    path = data.draw(st.sampled_from(list(_string_leaves(resource))))
    text = data.draw(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
    broken = _replaced(resource, path, text)
    checker = ResourceChecker()
    checker.checked(resource)
    assert _checker_accepts(checker, broken) is _model_accepts(broken)


def test_an_unknown_element_a_missing_required_one_and_a_wrongly_typed_one_are_refused(resources):
    checker = ResourceChecker()
    observation = next(r for r in resources if r["resourceType"] == "Observation")
    checker.checked(observation)
    unknown = observation | {"colour": "blue"}
    missing = {k: v for k, v in observation.items() if k != "status"}
    wrong_type = observation | {"status": 3}
    for broken in (unknown, missing, wrong_type):
        assert not _model_accepts(broken)
        assert not _checker_accepts(checker, broken)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.ndjson"))}


def test_inside_a_transaction_the_export_stays_in_one_process_and_sees_the_rows(
    tmp_path, treated, persona, monkeypatch
):
    treated()
    monkeypatch.setattr(bulk, "PARALLEL_FROM", 1)
    actor = persona("data_steward")
    bulk.export_ndjson(actor=actor, out=tmp_path / "one", workers=1)
    manifest = bulk.export_ndjson(actor=actor, out=tmp_path / "two", workers=2)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert sum(o["count"] for o in manifest["output"]) > 10


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_write_the_same_files_as_one(tmp_path, treated, persona, monkeypatch):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("a forked process cannot see the in-memory SQLite test database; runs on PostgreSQL")
    treated()
    treated()
    monkeypatch.setattr(bulk, "PARALLEL_FROM", 1)
    user = persona("data_steward").user.username
    call_command("export", "fhir", "--out", str(tmp_path / "one"), "--user", user, "--workers", "1")
    call_command("export", "fhir", "--out", str(tmp_path / "two"), "--user", user, "--workers", "2")
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert one == two and len(one) >= 8
    manifest = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert {o["url"] for o in manifest["output"]} == set(two)
