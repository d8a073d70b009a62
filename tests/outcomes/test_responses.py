"""Storing scored responses and measurements: scoring version, options from the record, amendments."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handregen.audit.models import AuditEvent
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.outcomes.models import QuestionnaireResponse
from handregen.outcomes.services import baseline_response_record, response_amend, response_record
from tests.outcomes.conftest import follow_up

QUICKDASH_MIXED = dict(zip([f"q{i}" for i in range(1, 12)], [1, 2, 3, 4, 1, 1, 2, 3, 5, 1, 1], strict=True))


def test_a_response_is_scored_and_stored_with_its_scoring_version(scheduled, nurse):
    episode = scheduled(days_ago=42)
    response = response_record(
        actor=nurse, follow_up=follow_up(episode, "w6"), instrument="quickdash", answers=QUICKDASH_MIXED
    )
    stored = QuestionnaireResponse.objects.get(pk=response.pk)
    assert stored.total == pytest.approx(29.5454, abs=0.005)  # clinical-facts §7.1, mixed case
    assert (stored.scorable, stored.scoring_version, stored.instrument_version) == (True, "quickdash-1", 1)
    assert (stored.source, stored.entered_by, stored.missing_policy) == ("staff", nurse.user, "quickdash_10_of_11")
    event = AuditEvent.objects.get(action="outcome.response_record", object_id=str(stored.pk))
    assert event.changes["total"] == [None, stored.total] and event.episode_id == episode.pk


def test_grip_takes_age_sex_and_side_from_the_record_not_from_staff(scheduled, nurse, make_patient):
    # Clinical-facts §7.4: a woman aged 60-64, right hand, trials 20, 22, 21 kg -> 84.0 % of norm, z -0.87.
    age_62 = date.today() - timedelta(days=int(62.5 * 365.25))
    episode = scheduled(days_ago=91, patient=make_patient(actor=nurse, birth_date=age_62, sex="female"), side="right")
    response = response_record(
        actor=nurse,
        follow_up=follow_up(episode, "m3"),
        instrument="grip",
        answers={"trial1": 20.0, "trial2": 22.0, "trial3": 21.0},
        device="Jamar",
    )
    assert response.options == {"age": 62, "sex": "female", "side": "right"}
    assert response.total == pytest.approx(21.0)
    assert response.subscales["percent_of_norm"] == pytest.approx(84.0, abs=0.1)
    assert response.subscales["z"] == pytest.approx(-0.87, abs=0.01)
    assert (response.side, response.device, response.scoring_version) == ("right", "Jamar", "grip-1")


def test_mhq_is_scored_for_the_treated_hand(scheduled, nurse):
    episode = scheduled(days_ago=365, side="left")  # the MHQ is asked at 12 months (protocol v1.1)
    answers = {item: 3 for item in ("ib1", "ib2", "ib3", "ib4", "ib5")}
    response = response_record(actor=nurse, follow_up=follow_up(episode, "m12"), instrument="mhq", answers=answers)
    assert response.options == {"hand": "left"}
    assert response.subscales["function"] == pytest.approx(50.0)


def test_answers_outside_an_items_range_are_refused_naming_each_item(scheduled, nurse):
    episode = scheduled(days_ago=42)
    with pytest.raises(InvalidInput) as caught:
        response_record(
            actor=nurse,
            follow_up=follow_up(episode, "w6"),
            instrument="quickdash",
            answers=QUICKDASH_MIXED | {"q3": 6, "q7": 0, "q12": 1},
        )
    assert [field for field, _ in caught.value.errors] == ["answers.q3", "answers.q7", "answers.q12"]
    assert not QuestionnaireResponse.objects.exists()


def test_an_instrument_not_collected_at_the_time_point_is_refused(scheduled, nurse):
    episode = scheduled(days_ago=14)
    with pytest.raises(InvalidInput) as caught:
        response_record(actor=nurse, follow_up=follow_up(episode, "w2"), instrument="prwe", answers={"p1": 1})
    assert caught.value.errors[0][0] == "instrument"
    with pytest.raises(InvalidInput):
        response_record(actor=nurse, follow_up=follow_up(episode, "w2"), instrument="knee", answers={"x": 1})


def test_a_second_submission_is_refused_and_stores_nothing_more(scheduled, nurse):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 6})
    with pytest.raises(GuardRefused, match="amendment with a reason"):
        response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 5})
    assert QuestionnaireResponse.objects.get().total == 6


def test_an_amendment_rescores_and_the_audit_keeps_the_previous_answers(scheduled, nurse):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    first = response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 6})
    amended = response_record(
        actor=nurse,
        follow_up=w2,
        instrument="nrs",
        answers={"pain": 5},
        amendment_reason="Patient corrected the answer by phone",
    )
    assert (amended.pk, amended.total, amended.version) == (first.pk, 5, 2)
    event = AuditEvent.objects.get(action="outcome.response_amend")
    assert event.changes["answers"] == [{"pain": 6}, {"pain": 5}]
    assert event.changes["total"] == [6, 5]
    assert event.reason == "Patient corrected the answer by phone"
    with pytest.raises(GuardRefused, match="no lost updates"):
        response_amend(actor=nurse, response=first, answers={"pain": 4}, reason="x", expected_version=1)


def test_an_amendment_that_makes_a_response_unscorable_reopens_the_time_point(scheduled, nurse):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    nrs = response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 4})
    response_record(actor=nurse, follow_up=w2, instrument="pgic", answers={"pgic": 3})
    w2.refresh_from_db()
    assert w2.completion == "auto"
    response_amend(actor=nurse, response=nrs, answers={"pain": None}, reason="entered for the wrong patient")
    w2.refresh_from_db()
    assert (w2.completed_at, w2.completion) == (None, "")


def test_roles_and_sites_are_checked(scheduled, nurse, persona):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    with pytest.raises(Forbidden):
        response_record(actor=persona("lab_technician"), follow_up=w2, instrument="nrs", answers={"pain": 1})
    with pytest.raises(NotFound):
        response_record(actor=persona("nurse", "north"), follow_up=w2, instrument="nrs", answers={"pain": 1})
    response_record(actor=persona("coordinator"), follow_up=w2, instrument="nrs", answers={"pain": 1})


def test_a_baseline_is_recorded_before_the_injection_and_flagged_late_after_it(make_episode, nurse, scheduled):
    episode = make_episode(actor=nurse)
    response = baseline_response_record(actor=nurse, episode=episode, instrument="nrs", answers={"pain": 7})
    assert response.follow_up.timepoint == "baseline" and response.follow_up.due_until is None
    assert response.late_baseline is False
    injected = scheduled(days_ago=3)
    late = baseline_response_record(actor=nurse, episode=injected, instrument="nrs", answers={"pain": 7})
    assert late.late_baseline is True  # kept with its true date, not a "before"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.integers(-5, 12), st.none()), min_size=11, max_size=11))
def test_any_quickdash_answers_are_either_stored_with_a_valid_score_or_refused_naming_bad_items(
    scheduled, nurse, values
):
    episode = scheduled(days_ago=42)
    answers = {f"q{i}": v for i, v in enumerate(values, start=1)}
    bad = [f"answers.q{i}" for i, v in enumerate(values, start=1) if v is not None and not 1 <= v <= 5]
    try:
        response = response_record(
            actor=nurse, follow_up=follow_up(episode, "w6"), instrument="quickdash", answers=answers
        )
    except InvalidInput as exc:
        assert bad and [f for f, _ in exc.errors] == bad
    else:
        assert not bad
        assert response.scorable == (sum(v is not None for v in values) >= 10)
        assert response.total is None or 0 <= response.total <= 100
