"""A fully treated patient for the FHIR tests, reached through the real services of every step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from handregen.pathway.models import Episode
from tests.aftercare import conftest as aftercare
from tests.cellproducts.chain import Clock, Team

team = aftercare.team
clock = aftercare.clock
injected = aftercare.injected


def discharge(episode: Episode, team: Team) -> None:
    """Post-care monitoring and discharge of an injected episode (schedules the follow-ups)."""
    from handregen.aftercare.services import post_care_record

    at = timezone.now()
    observation = {
        "at": at - timedelta(minutes=60),
        "pain_nrs": 3,
        "heart_rate": 72,
        "systolic_bp": 128,
        "diastolic_bp": 80,
        "injection_site": "normal",
        "harvest_site": "normal",
    }
    post_care_record(
        actor=team.nurse, episode=episode, monitoring=[observation], discharged_at=at, instructions_given=True
    )


def baseline(episode: Episode, team: Team) -> None:
    """Baseline NRS and grip, measured before the injection."""
    from handregen.outcomes.services import baseline_response_record

    baseline_response_record(actor=team.nurse, episode=episode, instrument="nrs", answers={"pain": 7})
    baseline_response_record(
        actor=team.nurse, episode=episode, instrument="grip", answers={"trial1": 18.0, "trial2": 19.0, "trial3": 18.5}
    )


def treat(episode: Episode, team: Team, clock: Clock) -> Episode:
    """Post-care, a w2 NRS and grip, and an adverse event for an episode injected after its baseline."""
    from handregen.outcomes.models import FollowUp
    from handregen.outcomes.services import response_record
    from handregen.safety.services import adverse_event_record

    nurse = team.nurse
    discharge(episode, team)
    clock.advance(days=14)
    w2 = FollowUp.objects.get(episode=episode, timepoint="w2")
    response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 4})
    response_record(
        actor=nurse, follow_up=w2, instrument="grip", answers={"trial1": 21.0, "trial2": 22.0, "trial3": 21.5}
    )
    adverse_event_record(
        actor=nurse,
        episode=episode,
        term="injection_site_pain_flare",
        onset_date=timezone.localdate(),
        grade=1,
        serious=False,
        relatedness="probable",
    )
    return Episode.objects.select_related("protocol", "patient", "site").get(pk=episode.pk)


@pytest.fixture
def treated(injected: Callable[..., Episode], team: Team, clock: Clock) -> Callable[..., Episode]:
    """`treated(**episode_fields)`: a new episode treated from consultation to a w2 response and an adverse event."""

    def make(**episode_fields: Any) -> Episode:
        return treat(injected(before_injection=lambda e: baseline(e, team), **episode_fields), team, clock)

    return make
