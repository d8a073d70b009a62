"""FHIR search values (no database): date precision and prefixes, tokens, strings, references, comma escapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handregen.interop.fhir.search import SearchRefused, plan_search
from handregen.interop.fhir.search_values import (
    CanonicalValue,
    DateValue,
    ReferenceValue,
    SearchValueError,
    StringValue,
    TokenValue,
    date_range,
    split_or,
    value_range,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025", "2025-01-01", "2026-01-01"),
        ("2024-12", "2024-12-01", "2025-01-01"),
        ("2024-02", "2024-02-01", "2024-03-01"),
        ("2024-02-29", "2024-02-29", "2024-03-01"),
        ("2025-03-04T10:15", "2025-03-04T10:15:00", "2025-03-04T10:16:00"),
        ("2025-03-04T10:15:07Z", "2025-03-04T10:15:07", "2025-03-04T10:15:08"),
    ],
)
def test_a_date_covers_the_range_of_its_precision(text, start, end):
    assert date_range(text) == (at(start), at(end))


def test_a_zone_offset_moves_the_instant():
    assert date_range("2025-03-04T12:00:00+02:00")[0] == at("2025-03-04T10:00:00")


@pytest.mark.parametrize("text", ["2025-13", "2025-02-30", "20250101", "yesterday", "2025-01-01T25:00"])
def test_what_is_not_a_fhir_date_is_refused(text):
    with pytest.raises(SearchValueError):
        date_range(text)


@pytest.mark.parametrize(
    ("query", "target", "expected"),
    [
        ("2025-03-04", "2025-03-04T23:59:59Z", True),
        ("eq2025-03", "2025-03-04", True),
        ("eq2025-03-04", "2025-03", False),  # the day does not contain the whole month
        ("ne2025-03-04", "2025-03-05", True),
        ("lt2025-03-04", "2025-03-03", True),
        ("lt2025-03-04", "2025-03-04T00:00:00Z", False),
        ("le2025-03-04", "2025-03-04T12:00:00Z", True),
        ("gt2025-03-04", "2025-03-04T23:00:00Z", False),
        ("gt2025-03-04", "2025-03-05", True),
        ("ge2025-03-04", "2025-03-04", True),
        ("ge2025-03-04", "2025-03-03", False),
    ],
)
def test_date_prefixes_compare_ranges(query, target, expected):
    assert DateValue.parse(query).matches(value_range(target)) is expected


def test_a_period_is_the_range_from_its_start_to_the_end_of_its_end():
    period = value_range({"start": "2025-03-04T09:00:00Z", "end": "2025-03-04"})
    assert DateValue.parse("eq2025-03-04").matches(period)


@pytest.mark.parametrize(
    ("query", "token", "expected"),
    [
        ("http://loinc.org|72514-3", ("http://loinc.org", "72514-3"), True),
        ("http://loinc.org|72514-3", ("http://other.org", "72514-3"), False),
        ("|female", (None, "female"), True),
        ("|female", ("http://x", "female"), False),
        ("http://x|", ("http://x", "anything"), True),
        ("72514-3", ("http://any", "72514-3"), True),
        ("72514-3", ("http://any", "72514-4"), False),
    ],
)
def test_token_forms(query, token, expected):
    assert TokenValue.parse(query).matches(token) is expected


def test_strings_match_the_start_without_case_or_accents_unless_exact_or_contains():
    assert StringValue("aber", "").matches("Åberg")
    assert not StringValue("berg", "").matches("Åberg")
    assert StringValue("berg", "contains").matches("Åberg")
    assert not StringValue("aberg", "exact").matches("Åberg")


def test_references_and_canonicals():
    assert ReferenceValue.parse("123", "Patient").matches("Patient/123")
    assert ReferenceValue.parse("http://h/fhir/R4/Patient/123", "Patient").matches("Patient/123")
    assert not ReferenceValue.parse("123", "Patient").matches("Condition/123")
    with pytest.raises(SearchValueError):
        ReferenceValue.parse("Condition/1", "Patient")
    assert CanonicalValue.parse("https://q/nrs").matches("https://q/nrs|1")
    assert not CanonicalValue.parse("https://q/nrs|2").matches("https://q/nrs|1")


def test_a_backslash_keeps_a_comma_inside_a_value():
    assert split_or(r"a,b\,c") == ["a", "b,c"]


def test_plans_and_their_refusals():
    plan = plan_search("Patient", [("family", "a,b"), ("family", "c"), ("_count", "5000"), ("colour", "red")])
    assert len(plan.criteria) == 2 and plan.count == 1000 and plan.ignored == ["colour"]
    with pytest.raises(SearchRefused):
        plan_search("Patient", [("colour", "red")], strict=True)
    with pytest.raises(SearchRefused):
        plan_search("Patient", [("name:missing", "true")], strict=True)
    with pytest.raises(SearchRefused):
        plan_search("Patient", [("_count", "-1")])
    with pytest.raises(SearchRefused):
        plan_search("Patient", [("birthdate", "ge1950-02-31")])
