"""What the episode page shows beside the timeline: the product and its custody, the follow-ups, the charts.

Each panel comes from the app that owns it, so the page never loops into the database.
"""

from __future__ import annotations

from typing import Any

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.analytics.selectors import episode_charts
from handregen.cellproducts.models import CellProduct
from handregen.cellproducts.selectors import custody_timeline
from handregen.outcomes.instruments import load_instrument
from handregen.outcomes.selectors import MEASURED_BY_STAFF, baseline_missing, episode_follow_ups
from handregen.pathway.models import Episode
from handregen.procedures.selectors import injection_of
from handregen.safety.selectors import episode_adverse_events


def episode_panels(*, actor: Actor, episode: Episode) -> dict[str, Any]:
    if not actor.can(Permission.PATIENT_VIEW):
        return {}
    product = (
        CellProduct.objects.filter(episode=episode, site=actor.site, cycle=episode.cycle)
        .order_by("-created_at")
        .first()
    )
    follow_ups = [
        row for row in episode_follow_ups(actor=actor, episode=episode) if row.follow_up.cycle == episode.cycle
    ]
    return {
        "product": product,
        "custody": custody_timeline(product=product) if product else [],
        **(injection_of(product=product) if product else {}),
        "follow_ups": follow_ups,
        "charts": episode_charts(actor=actor, episode=episode),
        "adverse_events": list(episode_adverse_events(actor=actor, episode=episode)),
        "can_view_progress": True,  # the progress report needs only PATIENT_VIEW, checked above
        **_baseline_panel(actor=actor, episode=episode),
    }


def _baseline_panel(*, actor: Actor, episode: Episode) -> dict[str, Any]:
    """Baseline questionnaires still to take before the injection, for staff who record outcomes."""
    if not actor.can(Permission.FOLLOW_UP_RECORD):
        return {}
    missing = baseline_missing(actor=actor, episode=episode)
    return {
        "baseline_missing": [{"code": code, "name": load_instrument(code).name} for code in missing],
        "baseline_patient_can_answer": any(code not in MEASURED_BY_STAFF for code in missing),
    }
