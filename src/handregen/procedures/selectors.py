"""Reads of harvests and injections."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
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


def injection_of(*, product: Any) -> dict[str, Any]:
    """The injection that used `product` with the product's processed volume, for the pages that show it
    ({} before the product is given)."""
    from handregen.cellproducts.models import ProcessingRecord  # cellproducts' pages import this module

    injection = Injection.objects.filter(product=product).select_related("operator").first()
    if injection is None:
        return {}
    processed = ProcessingRecord.objects.filter(product=product).values_list("output_volume_ml", flat=True).first()
    return {
        "injection": injection,
        "injected_ml": ml_text(injection.volume_ml),
        "processed_ml": ml_text(processed) if processed is not None else None,
    }


def ml_text(volume: Decimal) -> str:
    """A volume as staff write it: 3 not 3.00, 2.5 not 2.50."""
    return f"{volume.normalize():f}"
