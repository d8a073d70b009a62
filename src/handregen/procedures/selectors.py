"""Reads of harvests and injections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handregen.pathway.models import Episode
from handregen.procedures.models import Harvest, Injection


def last_injection(*, episode: Episode) -> Injection | None:
    """The episode's most recent injection (any cycle), or None; follow-ups are scheduled from its
    `performed_at`."""
    return (
        Injection.objects.filter(episode=episode, site_id=episode.site_id)
        .select_related("product")
        .order_by("-performed_at")
        .first()
    )


def current_harvest(*, episode: Episode) -> Harvest | None:
    """The harvest of the episode's current treatment cycle, or None."""
    return (
        Harvest.objects.filter(episode=episode, site_id=episode.site_id, cycle=episode.cycle)
        .select_related("product")
        .order_by("-created_at")
        .first()
    )


def cycle_injected_at(*, episode_id: Any, cycle: int) -> datetime | None:
    """When the injection of one treatment cycle was given, or None before it: a baseline is measured before."""
    return (
        Injection.objects.filter(episode_id=episode_id, cycle=cycle)
        .order_by("performed_at")
        .values_list("performed_at", flat=True)
        .first()
    )
