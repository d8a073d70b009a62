"""An episode at `injected`, reached through the real services of every earlier step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from handregen.pathway.models import Episode
from handregen.procedures.services import injection_record
from tests.cellproducts.chain import Clock, Team, make_team, released_product


@pytest.fixture
def team(persona: Callable[..., Any]) -> Team:
    return make_team(persona)


def inject(episode: Episode, team: Team) -> Episode:
    """Inject the episode's released product at the bedside (the scans match)."""
    from handregen.cellproducts.models import CellProduct

    product = CellProduct.objects.filter(episode=episode).order_by("-created_at").first()
    assert product is not None and product.status == "released"
    injection_record(
        actor=team.physician,
        episode=episode,
        product_code=product.code,
        wristband_code=episode.patient.wristband_code,
        joint=episode.target_joints[0],
        side=episode.side,
        guidance="ultrasound",
        anaesthetic="lidocaine 1 % 1 mL",
        volume_ml=2.0,
    )
    return Episode.objects.select_related("protocol", "patient", "site").get(pk=episode.pk)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def injected(make_episode: Callable[..., Episode], team: Team, clock: Clock) -> Callable[..., Episode]:
    """`injected(**episode_fields)`: a new episode harvested, released and injected; the clock then moves on
    two hours, so that monitoring and discharge lie in the past."""

    def make(before_injection: Callable[[Episode], Any] | None = None, **episode_fields: Any) -> Episode:
        product = released_product(make_episode, team, **episode_fields)
        if before_injection is not None:  # e.g. the baseline, which is measured before the injection
            before_injection(product.episode)
        episode = inject(product.episode, team)
        assert episode.stage == "injected"
        clock.advance(hours=2)
        return episode

    return make
