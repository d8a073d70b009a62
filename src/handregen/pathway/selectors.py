"""Reads of episodes, scoped to the actor's site."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.models import AuditEvent
from handregen.audit.services import access_record
from handregen.errors import Forbidden, NotFound
from handregen.pathway.models import Episode
from handregen.pathway.stages import STAGE_LABELS, TRANSITIONS, Stage, actions_from
from handregen.patients.selectors import break_glass_grant_active


def episodes_visible_to(actor: Actor) -> QuerySet[Episode]:
    actor.require(Permission.PATIENT_VIEW)
    return Episode.objects.filter(site=actor.site).select_related("patient", "protocol")


def episode_get(
    *, actor: Actor, episode_id: uuid.UUID | str, channel: str = "web", allow_break_glass: bool = False
) -> Episode:
    """The episode if it belongs to the actor's site, else NotFound; the read is logged on the patient's site.

    `allow_break_glass`: read-only views also accept an episode whose patient the actor opened by break-glass.
    Views that lead to a write leave it off, so they answer 404 as before (and every write locks the episode
    within the actor's own site anyway).
    """
    try:
        episode = episodes_visible_to(actor).get(pk=episode_id)
    except (Episode.DoesNotExist, ValueError, ValidationError, Forbidden) as exc:
        opened = _episode_by_break_glass(actor=actor, episode_id=episode_id) if allow_break_glass else None
        if opened is None:
            if isinstance(exc, Forbidden):
                raise
            raise NotFound("episode") from exc
        access_record(actor=actor, patient_id=opened.patient_id, category="episode", channel=channel, site=opened.site)
        return opened
    access_record(actor=actor, patient_id=episode.patient_id, category="episode", channel=channel)
    return episode


def _episode_by_break_glass(*, actor: Actor, episode_id: uuid.UUID | str) -> Episode | None:
    if not actor.can(Permission.BREAK_GLASS):
        return None
    try:
        episode = Episode.objects.select_related("patient", "protocol", "site").filter(pk=episode_id).first()
    except (ValueError, ValidationError):
        return None
    if episode is None or break_glass_grant_active(actor=actor, patient_id=episode.patient_id) is None:
        return None
    return episode


def read_only_here(*, actor: Actor, episode: Episode) -> bool:
    """True for an episode of another site, opened by break-glass: shown, never acted on."""
    return episode.site_id != actor.site.pk


def allowed_actions(*, actor: Actor, episode: Episode) -> list[str]:
    """The steps this actor may take on this episode now (stage order and role; record guards come later)."""
    if read_only_here(actor=actor, episode=episode):
        return []
    return [a for a in actions_from(episode.stage) if actor.can(TRANSITIONS[a].permission)]


def episodes_by_stage(*, actor: Actor) -> dict[str, list[Episode]]:
    """The site's episodes grouped by stage, in pathway order, oldest stage change first."""
    grouped: dict[str, list[Episode]] = defaultdict(list)
    for episode in episodes_visible_to(actor).order_by("stage_changed_at"):
        grouped[episode.stage].append(episode)
    return {s.value: grouped[s.value] for s in Stage if grouped.get(s.value)}


# Words for audit actions that are not pathway steps; pathway steps use their transition's label.
ACTION_WORDS = {
    "episode.open": "Episode opened",
    "patient.register": "Patient registered",
    "patient.amend": "Patient details corrected",
    # The chain of identity (cellproducts, procedures).
    "harvest.record": "Harvest recorded",
    "product.collect": "Cell product collected and identified",
    "product.receive": "Cell product received in the lab",
    "product.processing": "Cell product processing recorded",
    "product.release": "Cell product released (second person verified)",
    "product.exceptional_release": "Cell product released by EXCEPTIONAL RELEASE",
    "product.administer": "Cell product administered",
    "product.discard": "Cell product discarded",
    "product.label_print": "Product label printed",
    "injection.record": "Injection recorded after bedside verification",
}


def action_words(action: str, changes: dict[str, Any] | None = None) -> str:
    """A clinician's words for an audit action code such as `episode.consultation`.

    A pathway move is told as the stage it reached, since the record that caused it has its own line.
    """
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    kind, _, step = action.partition(".")
    if kind == "episode" and step in TRANSITIONS:
        stage = (changes or {}).get("stage")
        if isinstance(stage, list) and len(stage) == 2 and stage[1]:
            return f"Stage → {STAGE_LABELS[Stage(stage[1])]}"
        return TRANSITIONS[step].label
    return action.replace(".", ": ").replace("_", " ").capitalize()


def episode_timeline(*, actor: Actor, episode: Episode, channel: str = "web") -> list[dict[str, Any]]:
    """Every recorded step of the episode, in order, with who and when (from the audit trail)."""
    # The episode's own site: the episode came through `episode_get`, so it is the actor's or one opened by break-glass.
    events = AuditEvent.objects.filter(episode_id=episode.pk, site_id=episode.site_id).order_by("seq")
    here = read_only_here(actor=actor, episode=episode)
    access_record(
        actor=actor,
        patient_id=episode.patient_id,
        category="timeline",
        channel=channel,
        site=episode.site if here else None,
    )
    return [
        {
            "at": e.occurred_at,
            "action": e.action,
            "what": action_words(e.action, e.changes),
            "outcome": e.outcome,
            "by": e.actor_label,
            "role": e.actor_role,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "reason": e.reason,
            "changes": e.changes,
        }
        for e in events
    ]
