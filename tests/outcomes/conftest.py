"""Episodes with a follow-up schedule, built through the outcomes service (no pathway steps needed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from handregen.accounts.actor import Actor
from handregen.outcomes.models import FollowUp
from handregen.outcomes.services import followups_schedule
from handregen.pathway.models import Episode


@pytest.fixture
def nurse(persona: Callable[..., Actor]) -> Actor:
    return persona("nurse")


@pytest.fixture
def scheduled(make_episode: Callable[..., Episode], nurse: Actor) -> Callable[..., Episode]:
    """`scheduled(days_ago=14)`: an episode whose injection was `days_ago` days ago, its follow-ups scheduled
    (so with the shipped protocol the 2-week time point is due today)."""

    def make(days_ago: int = 14, actor: Actor | None = None, **episode_fields: Any) -> Episode:
        actor = actor or nurse
        episode = make_episode(actor=actor, **episode_fields)
        followups_schedule(actor=actor, episode=episode, injected_on=episode.site.today() - timedelta(days_ago))
        return episode

    return make


def follow_up(episode: Episode, timepoint: str) -> FollowUp:
    return FollowUp.objects.select_related("episode", "patient", "site").get(
        episode=episode, cycle=episode.cycle, timepoint=timepoint
    )


def today_at(episode: Episode) -> date:
    return episode.site.today()
