"""Reads of episodes, scoped to the actor's site."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.db.models import QuerySet

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.models import AuditEvent
from handregen.audit.services import access_record
from handregen.errors import NotFound
from handregen.pathway.models import Episode
from handregen.pathway.stages import STAGE_LABELS, TRANSITIONS, Stage, actions_from


def episodes_visible_to(actor: Actor) -> QuerySet[Episode]:
    actor.require(Permission.PATIENT_VIEW)
    return Episode.objects.filter(site=actor.site).select_related("patient", "protocol")


def episode_get(*, actor: Actor, episode_id: uuid.UUID | str, channel: str = "web") -> Episode:
    """The episode if it belongs to the actor's site, else NotFound; the read is logged."""
    try:
        episode = episodes_visible_to(actor).get(pk=episode_id)
    except (Episode.DoesNotExist, ValueError) as exc:
        raise NotFound("episode") from exc
    access_record(actor=actor, patient_id=episode.patient_id, category="episode", channel=channel)
    return episode


def allowed_actions(*, actor: Actor, episode: Episode) -> list[str]:
    """The steps this actor may take on this episode now (stage order and role; record guards come later)."""
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
    events = AuditEvent.objects.filter(episode_id=episode.pk, site=actor.site).order_by("seq")
    access_record(actor=actor, patient_id=episode.patient_id, category="timeline", channel=channel)
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
