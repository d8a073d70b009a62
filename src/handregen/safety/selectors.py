"""Reads of adverse events, alerts and re-interventions, scoped to the actor's site."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.models import AuditEvent
from handregen.audit.services import access_record
from handregen.errors import NotFound
from handregen.pathway.models import Episode
from handregen.safety.models import AdverseEvent, Reintervention, SafetyAlert


def episode_adverse_events(*, actor: Actor, episode: Episode, channel: str = "web") -> QuerySet[AdverseEvent]:
    """The episode's adverse events, latest onset first; the read is logged."""
    actor.require(Permission.PATIENT_VIEW)
    access_record(actor=actor, patient_id=episode.patient_id, category="adverse_events", channel=channel)
    return (
        AdverseEvent.objects.filter(site=actor.site, episode=episode)
        .select_related("reported_by")
        .order_by("-onset_date", "-reported_at")
    )


def adverse_event_get(*, actor: Actor, adverse_event_id: uuid.UUID | str, channel: str = "web") -> AdverseEvent:
    actor.require(Permission.PATIENT_VIEW)
    try:
        event = AdverseEvent.objects.select_related("episode", "patient", "reported_by", "retracted_by").get(
            pk=adverse_event_id, site=actor.site
        )
    except (AdverseEvent.DoesNotExist, ValueError) as exc:
        raise NotFound("adverse event") from exc
    access_record(actor=actor, patient_id=event.patient_id, category="adverse_events", channel=channel)
    return event


def episode_reinterventions(*, actor: Actor, episode: Episode, channel: str = "web") -> QuerySet[Reintervention]:
    actor.require(Permission.PATIENT_VIEW)
    access_record(actor=actor, patient_id=episode.patient_id, category="reinterventions", channel=channel)
    return Reintervention.objects.filter(site=actor.site, episode=episode).order_by("-performed_on")


def alerts_open_for(*, actor: Actor) -> QuerySet[SafetyAlert]:
    """Serious-event alerts not yet reviewed that concern this actor: theirs, or unassigned ones of the site."""
    actor.require(Permission.PATIENT_VIEW)
    return (
        SafetyAlert.objects.filter(site=actor.site, acknowledged_at__isnull=True)
        .filter(Q(physician=actor.user) | Q(physician__isnull=True))
        .select_related("adverse_event", "patient", "episode")
        .order_by("created_at")
    )


def alert_get(*, actor: Actor, alert_id: uuid.UUID | str, channel: str = "web") -> SafetyAlert:
    actor.require(Permission.PATIENT_VIEW)
    try:
        alert = SafetyAlert.objects.select_related("adverse_event", "patient", "episode", "acknowledged_by").get(
            pk=alert_id, site=actor.site
        )
    except (SafetyAlert.DoesNotExist, ValueError) as exc:
        raise NotFound("alert") from exc
    access_record(actor=actor, patient_id=alert.patient_id, category="adverse_events", channel=channel)
    return alert


ACTION_WORDS = {
    "adverse_event.record": "recorded",
    "adverse_event.amend": "amended",
    "adverse_event.retract": "retracted as entered in error",
}


def adverse_event_versions(*, event: AdverseEvent) -> list[dict[str, Any]]:
    """The event's history, oldest first: each saved version with who, when, why and what changed.

    Read from the audit trail (the caller has logged the read of the event itself).
    """
    rows = AuditEvent.objects.filter(
        object_type="adverse_event", object_id=str(event.pk), outcome="done", site_id=event.site_id
    ).order_by("seq")
    versions = []
    for number, row in enumerate(rows, start=1):
        changes = [
            {"field": name.replace("_", " "), "before": _shown(pair[0]), "after": _shown(pair[1])}
            for name, pair in sorted(row.changes.items())
            if isinstance(pair, list) and len(pair) == 2
        ]
        versions.append(
            {
                "version": number,
                "what": ACTION_WORDS.get(row.action, row.action),
                "at": row.occurred_at,
                "by": row.actor_label,
                "reason": row.reason,
                "changes": changes,
            }
        )
    return versions


def _shown(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
