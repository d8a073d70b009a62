"""I1: the input rules the API fuzzing found missing, one test per defect it reported (see test_api_fuzz)."""

from __future__ import annotations

import pytest

from handregen.api_inputs import MAX_OFFSET
from handregen.patients.models import Patient
from tests.journeys import CONSENT_BODY, to_eligible

NEW_PATIENT = {
    "mrn": "VAL-1",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birth_date": "1950-12-10",
    "sex": "female",
    "dominant_hand": "right",
}


def _fields(response) -> list[str]:
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("birth_date", [0, "0", 1700000000, "1950-12-10T00:00:00", "10/12/1950"])
def test_a_date_sent_as_a_number_or_in_another_form_is_a_422_not_a_1970_birthday(api, birth_date):
    response = api().post("/api/v1/patients", NEW_PATIENT | {"birth_date": birth_date})
    assert _fields(response) == ["birth_date"]
    assert not Patient.objects.exists()


def test_a_date_in_a_query_must_be_written_as_a_date(api, make_episode):
    episode = make_episode()
    response = api().get(f"/api/v1/episodes/{episode.pk}/preparation", procedure_date="0")
    assert _fields(response) == ["procedure_date"]


def test_a_time_sent_as_a_number_is_a_422(api, make_episode, persona):
    episode = make_episode()
    body = {"monitoring": [{"at": 0}], "discharged_at": "2026-01-01T10:00:00Z", "instructions_given": True}
    response = api("nurse").post(f"/api/v1/episodes/{episode.pk}/post-care", body)
    assert "monitoring.0.at" in _fields(response)


@pytest.mark.parametrize("path", ["/api/v1/patients", "/api/v1/products", "/api/v1/follow-ups"])
def test_paging_past_the_offset_bound_is_a_422_not_a_database_overflow(api, demo_site, path):
    client = api("physician" if "products" not in path else "lab_technician")
    assert client.get(path, offset=MAX_OFFSET).status_code == 200
    assert _fields(client.get(path, offset=2**70)) == ["offset"]


def test_cohort_figures_filtered_by_injection_date_answer_when_nobody_was_injected(api, make_episode):
    make_episode()  # a referred episode: the cohort has rows but no injection date
    response = api("researcher").get(
        "/api/v1/analytics/outcomes",
        instrument="nrs",
        timepoint="m6",
        injected_from="2026-01-01",
        injected_until="2026-12-31",
    )
    assert response.status_code == 200, response.content
    assert response.json()["n_expected"] == 0


def test_a_consent_signature_with_another_meaning_is_a_422_naming_the_field(api, make_episode, physician):
    episode = to_eligible(make_episode(), physician)
    response = api().post(f"/api/v1/episodes/{episode.pk}/consent", CONSENT_BODY | {"signature_meaning": "I agree"})
    assert _fields(response) == ["signature_meaning"]


def test_the_api_enumerates_exactly_the_signature_meanings_the_service_accepts():
    from typing import get_args

    from handregen.consent.api import ConsentIn
    from handregen.consent.services import SIGNATURE_MEANINGS

    assert get_args(ConsentIn.model_fields["signature_meaning"].annotation) == SIGNATURE_MEANINGS


@pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/break-glass"])
def test_an_audit_period_sent_as_a_number_is_a_422_not_a_1970_timestamp(api, path):
    response = api("site_admin").get(path, until="0.5")
    assert _fields(response) == ["until"]


@pytest.mark.parametrize(
    "since", ["9999-12-31T23:00:00-02:00", "0001-01-01T00:30:00+05:00", "4688-02-02T17:12:38+22:40"]
)
def test_a_time_beyond_what_the_clinic_stores_is_a_422_not_an_overflow(api, since):
    response = api("site_admin").get("/api/v1/audit/events", since=since)
    assert _fields(response) == ["since"]
