"""Scheduling follow-ups for an episode, their status on a given day, completion and the worklist."""

from datetime import date, timedelta

import pytest

from handregen.audit.models import AuditEvent
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.outcomes.models import FollowUp
from handregen.outcomes.selectors import episode_follow_ups, follow_up_worklist
from handregen.outcomes.services import followup_mark_done, followups_schedule, response_record
from handregen.pathway.services import episode_withdraw
from tests.outcomes.conftest import follow_up

INJECTED = date(2026, 3, 2)


def test_scheduling_creates_the_protocols_time_points_and_a_baseline_with_exact_dates(make_episode, nurse):
    episode = make_episode(actor=nurse)
    rows = followups_schedule(actor=nurse, episode=episode, injected_on=INJECTED)
    assert [(f.timepoint, f.due_from, f.due_on, f.due_until) for f in rows] == [
        ("baseline", INJECTED, None, INJECTED),
        ("w2", date(2026, 3, 13), date(2026, 3, 16), date(2026, 3, 23)),
        ("w6", date(2026, 4, 6), date(2026, 4, 13), date(2026, 4, 27)),
        ("m3", date(2026, 5, 18), date(2026, 6, 1), date(2026, 6, 22)),
        ("m6", date(2026, 8, 10), date(2026, 8, 31), date(2026, 9, 28)),
        ("m12", date(2027, 1, 31), date(2027, 3, 2), date(2027, 4, 16)),
    ]
    assert rows[0].instruments == ["nrs", "quickdash", "prwe", "mhq", "fihoa", "grip"]
    assert {f.cycle for f in rows} == {1}
    assert AuditEvent.objects.filter(action="follow_up.schedule", episode_id=episode.pk).count() == 6


def test_scheduling_twice_changes_nothing(make_episode, nurse):
    episode = make_episode(actor=nurse)
    first = followups_schedule(actor=nurse, episode=episode, injected_on=INJECTED)
    second = followups_schedule(actor=nurse, episode=episode, injected_on=INJECTED + timedelta(days=3))
    assert [f.pk for f in first] == [f.pk for f in second]
    assert FollowUp.objects.filter(episode=episode).count() == 6


def test_a_lab_technician_may_not_schedule_and_another_sites_episode_is_not_found(make_episode, nurse, persona):
    episode = make_episode(actor=nurse)
    with pytest.raises(Forbidden):
        followups_schedule(actor=persona("lab_technician"), episode=episode, injected_on=INJECTED)
    with pytest.raises(NotFound):
        followups_schedule(actor=persona("nurse", "north"), episode=episode, injected_on=INJECTED)
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(
    ("today", "w2", "w6"),
    [
        (date(2026, 3, 12), "upcoming", "upcoming"),
        (date(2026, 3, 13), "due", "upcoming"),
        (date(2026, 3, 24), "missed", "upcoming"),
        (date(2026, 4, 27), "missed", "due"),
        (date(2026, 4, 28), "missed", "missed"),
    ],
)
def test_statuses_follow_the_calendar_with_a_fixed_today(make_episode, nurse, today, w2, w6):
    episode = make_episode(actor=nurse)
    followups_schedule(actor=nurse, episode=episode, injected_on=INJECTED)
    statuses = {r.follow_up.timepoint: r.status for r in episode_follow_ups(actor=nurse, episode=episode, today=today)}
    assert (statuses["w2"], statuses["w6"]) == (w2, w6)
    assert statuses["baseline"] == "missed"  # nothing was recorded before the injection


def test_a_time_point_is_completed_when_every_instrument_has_a_scorable_response(scheduled, nurse):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 4})
    w2.refresh_from_db()
    assert w2.completed_at is None
    response_record(actor=nurse, follow_up=w2, instrument="pgic", answers={"pgic": 2})
    w2.refresh_from_db()
    assert (w2.completion, w2.completed_at is not None) == ("auto", True)
    later = date.today() + timedelta(days=400)
    statuses = {r.follow_up.timepoint: r.status for r in episode_follow_ups(actor=nurse, episode=episode, today=later)}
    assert statuses["w2"] == "completed" and statuses["w6"] == "missed"
    assert AuditEvent.objects.filter(action="follow_up.complete", object_id=str(w2.pk)).count() == 1


def test_an_unscorable_response_does_not_complete_the_time_point(scheduled, nurse):
    episode = scheduled(days_ago=42)
    w6 = follow_up(episode, "w6")
    response_record(actor=nurse, follow_up=w6, instrument="nrs", answers={"pain": 3})
    response_record(actor=nurse, follow_up=w6, instrument="pgic", answers={"pgic": 4})
    response = response_record(actor=nurse, follow_up=w6, instrument="quickdash", answers={"q1": 2, "q2": 3})
    assert response.scorable is False
    w6.refresh_from_db()
    assert w6.completed_at is None


def test_staff_may_mark_a_time_point_done_with_a_reason(scheduled, nurse):
    episode = scheduled(days_ago=14)
    w2 = follow_up(episode, "w2")
    with pytest.raises(InvalidInput):
        followup_mark_done(actor=nurse, follow_up=w2, reason=" ")
    done = followup_mark_done(actor=nurse, follow_up=w2, reason="Patient declined the questionnaires by phone")
    assert done.completion == "staff"
    with pytest.raises(GuardRefused, match="already completed"):
        followup_mark_done(actor=nurse, follow_up=w2, reason="again")
    event = AuditEvent.objects.get(action="follow_up.complete", object_id=str(w2.pk))
    assert event.reason == "Patient declined the questionnaires by phone"


def test_the_worklist_lists_due_then_missed_follow_ups_of_open_episodes_of_the_site(scheduled, nurse, persona):
    due_now = scheduled(days_ago=14)  # w2 due
    overdue = scheduled(days_ago=30)  # w2 missed, w6 not yet due
    withdrawn = scheduled(days_ago=14)
    episode_withdraw(actor=nurse, episode=withdrawn, reason="moved away")
    north = persona("nurse", "north")
    north_episode = scheduled(days_ago=14, actor=north)
    rows = follow_up_worklist(actor=nurse)
    assert [(r.follow_up.episode_id, r.follow_up.timepoint, r.status) for r in rows] == [
        (due_now.pk, "w2", "due"),
        (overdue.pk, "w2", "missed"),
    ]
    assert [r.follow_up.episode_id for r in follow_up_worklist(actor=north)] == [north_episode.pk]
