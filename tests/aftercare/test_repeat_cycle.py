"""A further treatment cycle: back to `consented` with the next cycle number, and a schedule of its own."""

from datetime import timedelta

import pytest

from handregen.aftercare.services import episode_repeat_cycle, post_care_record
from handregen.audit.models import AuditEvent
from handregen.errors import GuardRefused, InvalidInput
from handregen.outcomes.models import FollowUp
from handregen.outcomes.selectors import episode_follow_ups
from handregen.procedures.selectors import last_injection
from tests.aftercare.conftest import inject
from tests.cellproducts.chain import harvested, released


def discharge(episode, nurse):
    at = last_injection(episode=episode).performed_at
    post_care_record(
        actor=nurse,
        episode=episode,
        monitoring=[{"at": at + timedelta(minutes=20), "pain_nrs": 2}],
        discharged_at=at + timedelta(minutes=60),
        instructions_given=True,
    )
    episode.refresh_from_db()
    return episode


def test_a_second_cycle_supersedes_the_first_cycles_later_time_points_and_gets_its_own_schedule(injected, team, clock):
    episode = discharge(injected(), team.nurse)
    clock.advance(days=25)  # the 2-week window (to day 21) has passed; later ones are still to come
    with pytest.raises(InvalidInput):
        episode_repeat_cycle(actor=team.physician, episode=episode, reason="  ")
    moved = episode_repeat_cycle(actor=team.physician, episode=episode, reason="Pain back after 3 weeks")
    assert (moved.stage, moved.cycle) == ("consented", 2)
    first = {f.timepoint: f for f in FollowUp.objects.filter(episode=episode, cycle=1)}
    assert first["w2"].superseded_at is None
    assert all(first[code].superseded_at is not None for code in ("w6", "m3", "m6", "m12"))
    event = AuditEvent.objects.get(action="episode.repeat_cycle", outcome="done")
    assert event.changes["cycle"] == [1, 2] and event.changes["follow_ups_superseded"] == [None, 4]

    released(harvested(moved, team), team)
    second = inject(moved, team)
    clock.advance(hours=2)
    discharge(second, team.nurse)
    rows = episode_follow_ups(actor=team.nurse, episode=second)
    by_cycle = {(r.follow_up.cycle, r.follow_up.timepoint): r.status for r in rows}
    assert by_cycle[(1, "w2")] == "missed" and by_cycle[(1, "m3")] == "superseded"
    assert [code for cycle, code in by_cycle if cycle == 2] == ["baseline", "w2", "w6", "m3", "m6", "m12"]
    w2_second = FollowUp.objects.get(episode=episode, cycle=2, timepoint="w2")
    assert w2_second.injected_on == FollowUp.objects.get(
        episode=episode, cycle=1, timepoint="w2"
    ).injected_on + timedelta(days=25)


def test_a_further_cycle_only_starts_from_follow_up_and_needs_a_physician(injected, team, persona):
    episode = injected()
    with pytest.raises(GuardRefused, match="needs the episode at follow_up"):
        episode_repeat_cycle(actor=team.physician, episode=episode, reason="too early")
    episode = discharge(episode, team.nurse)
    with pytest.raises(GuardRefused, match="nurse may not"):
        episode_repeat_cycle(actor=team.nurse, episode=episode, reason="pain back")
    episode.refresh_from_db()
    assert episode.cycle == 1
    assert not FollowUp.objects.filter(superseded_at__isnull=False).exists()
