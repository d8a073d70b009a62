"""Reads of adverse events, alerts and re-interventions, scoped to the actor's site."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
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
        event = AdverseEvent.objects.select_related("episode", "patient").get(pk=adverse_event_id, site=actor.site)
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
