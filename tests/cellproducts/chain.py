"""The chain of identity in test steps: an episode harvested, its product processed and released.

Plain functions (no fixtures) so that tests of `cellproducts` and `procedures` share them; the episode gets
to `prepared` through the consent and preparation apps' own services (`tests.journeys.to_prepared`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.services import staff_ensure
from handregen.cellproducts.models import CellProduct
from handregen.cellproducts.services import processing_record, product_release
from handregen.pathway.models import Episode
from handregen.procedures.services import harvest_record
from tests.conftest import PASSWORD, signing
from tests.journeys import to_prepared

GOOD_PROCESSING: dict[str, Any] = {
    "method": "centrifugation_concentrate",
    "output_volume_ml": 3.0,
    "total_nucleated_cells": 25_000_000,
    "viability_percent": 88.5,
    "device": "Demo concentrator",
    "device_lot": "DL-1",
    "kit_lot": "KL-7",
    "sterility_sample_taken": True,
    "sterility_sample_id": "ST-001",
}
BONE_MARROW: dict[str, Any] = {
    "source": "bone_marrow",
    "origin": "autologous",
    "volume_ml": 60,
    "harvest_site": "iliac_crest",
    "anaesthesia": "local",
}


@dataclass
class Team:
    physician: Actor
    nurse: Actor
    lab: Actor
    lab2: Actor  # a second technician: the verifier

    def verify(self, who: Actor | None = None) -> dict[str, str]:
        """What a release is signed with: the verifier's credentials and the releasing technician's own."""
        verifier = who or self.lab2
        return {
            "verifier_username": verifier.user.username,
            "verifier_password": PASSWORD,
            "verifier_otp_code": signing(verifier)["otp_code"],
        } | signing(self.lab)


def make_team(persona: Callable[..., Actor], site_code: str = "demo") -> Team:
    lab = persona("lab_technician", site_code)
    user = staff_ensure(
        site=lab.site,
        username=f"lab2.{site_code}",
        role="lab_technician",
        password=PASSWORD,
        first_name="Second",
        last_name="Technician",
    )
    return Team(
        persona("physician", site_code),
        persona("nurse", site_code),
        lab,
        Actor(user=user, site=lab.site, role="lab_technician"),
    )


def prepared(episode: Episode, team: Team) -> Episode:
    to_prepared(episode, team.physician, team.nurse)
    episode.refresh_from_db()
    assert episode.stage == "prepared"
    return episode


def harvested(episode: Episode, team: Team, **changes: Any) -> CellProduct:
    """Harvest a prepared episode (bone marrow, autologous unless changed); returns the new product."""
    if episode.stage != "prepared":
        prepared(episode, team)
    record = harvest_record(actor=team.physician, episode=episode, **(BONE_MARROW | changes))
    return record.product


def processed(product: CellProduct, team: Team, **changes: Any) -> CellProduct:
    processing_record(actor=team.lab, product=product, **(GOOD_PROCESSING | changes))
    product.refresh_from_db()
    return product


def released(product: CellProduct, team: Team) -> CellProduct:
    if product.status != "processed":
        processed(product, team)
    return product_release(actor=team.lab, product=product, **team.verify())


def released_product(make_episode: Callable[..., Episode], team: Team, **episode_fields: Any) -> CellProduct:
    """A new episode taken all the way to a released product."""
    return released(harvested(make_episode(**episode_fields), team), team)


class Clock:
    """Moves `timezone.now()` forward for the services (records keep their own default times)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.offset = timedelta(0)
        real = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real() + self.offset)

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)
