"""The consultation and candidacy API (DESIGN.md §9): shapes, 422 and 409 problems, roles and sites."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import PASSWORD
from tests.journeys import (
    consultation_data,
    criteria_body,
    to_consulted,
    to_eligible,
)

PROBLEM = "application/problem+json"


def test_a_consultation_with_a_future_imaging_date_is_a_422_naming_it(make_episode, api):
    episode = make_episode()
    future = (date.today() + timedelta(days=5)).isoformat()
    response = api().post(
        f"/api/v1/episodes/{episode.pk}/consultation",
        consultation_data(imaging=[{"modality": "xray", "date": future, "kl_grade": 2}]),
    )
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    message = "is in the future; a past event needs a date on or before today"
    assert {"field": "imaging[0].date", "message": message} in response.json()["errors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"imaging": [{"modality": "ct", "date": "2025-01-01"}]}, "imaging.0.modality"),
        ({"imaging": [{"modality": "xray", "date": "2025-01-01", "kl_grade": 7}]}, "imaging.0.kl_grade"),
        ({"imaging": [{"modality": "xray", "date": "2025-01-01", "eaton_littler_stage": "5"}]},
         "imaging.0.eaton_littler_stage"),
        ({"nrs_pain_load": 12}, "nrs_pain_load"),
        ({"complaint": ""}, "complaint"),
    ],
)  # fmt: skip
def test_bad_consultation_fields_are_a_422_from_the_schema(make_episode, api, change, field):
    response = api().post(f"/api/v1/episodes/{make_episode().pk}/consultation", consultation_data(**change))
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_baseline_pain_is_clinically_required_and_may_come_grouped(make_episode, api):
    body = consultation_data()
    del body["nrs_pain_rest"], body["nrs_pain_load"]
    episode = make_episode()
    missing = api().post(f"/api/v1/episodes/{episode.pk}/consultation", body)
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["nrs_pain_rest", "nrs_pain_load"]
    grouped = api().post(
        f"/api/v1/episodes/{episode.pk}/consultation", body | {"baseline": {"nrs_pain_rest": 3, "nrs_pain_load": 6}}
    )
    assert grouped.status_code == 200 and grouped.json()["consultation"]["nrs_pain_load"] == 6


def test_a_minimal_consultation_is_accepted(make_episode, api):
    response = api().post(
        f"/api/v1/episodes/{make_episode().pk}/consultation",
        {"complaint": "Thumb pain", "nrs_pain_rest": 2, "nrs_pain_load": 6},
    )
    assert response.status_code == 200 and response.json()["stage"] == "consulted"


def test_candidacy_without_every_criterion_is_a_422_listing_the_missing(make_episode, physician, api):
    episode = to_consulted(make_episode(), physician)
    answers = criteria_body()
    del answers["pregnancy"], answers["active_infection"]
    response = api().post(
        f"/api/v1/episodes/{episode.pk}/candidacy", {"criteria": answers, "decision": "eligible", "password": PASSWORD}
    )
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["criteria.active_infection", "criteria.pregnancy"]


def test_a_soft_flag_without_a_rationale_is_a_409_naming_the_flag(make_episode, physician, api):
    episode = to_consulted(make_episode(), physician)
    response = api().post(
        f"/api/v1/episodes/{episode.pk}/candidacy",
        {"criteria": criteria_body(post_traumatic_arthritis=True), "decision": "eligible", "password": PASSWORD},
    )
    assert response.status_code == 409 and "(post_traumatic_arthritis)" in response.json()["reasons"][0]


def test_a_contradicted_derived_criterion_is_a_409(make_episode, physician, api):
    meds = [{"name": "warfarin", "drug_class": "anticoagulant"}]
    episode = to_consulted(make_episode(), physician, medications=meds)
    response = api().post(
        f"/api/v1/episodes/{episode.pk}/candidacy",
        {"criteria": criteria_body(), "decision": "eligible", "password": PASSWORD, "rationale": "x"},
    )
    assert response.status_code == 409
    assert response.json()["reasons"][0].startswith("Contradiction: 'Takes anticoagulants' (anticoagulants)")


def test_a_nurse_may_not_decide_candidacy(make_episode, physician, api):
    episode = to_consulted(make_episode(), physician)
    response = api("nurse").post(
        f"/api/v1/episodes/{episode.pk}/candidacy",
        {"criteria": criteria_body(), "decision": "eligible", "password": PASSWORD},
    )
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM


def test_the_evaluation_can_be_read_back(make_episode, physician, api):
    episode = to_eligible(make_episode(), physician)
    found = api().get(f"/api/v1/episodes/{episode.pk}/evaluation").json()
    assert found["consultation"]["nrs_pain_load"] == 7
    assert found["imaging"][0]["eaton_littler_stage"] == "II"
    assert found["candidacy"]["decision"] == "eligible"
