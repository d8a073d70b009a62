"""Reads of consultations, imaging and candidacy decisions, scoped to the actor's site."""

from __future__ import annotations

from typing import Any

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import access_record
from handregen.errors import NotFound
from handregen.evaluation.models import CandidacyDecision, Consultation, ImagingStudy
from handregen.pathway.models import Episode


def latest_consultation(episode: Episode) -> Consultation | None:
    """The episode's most recent consultation (a deferred episode may have several)."""
    return Consultation.objects.filter(episode_id=episode.pk, site_id=episode.site_id).order_by("-recorded_at").first()


def latest_candidacy(episode: Episode) -> CandidacyDecision | None:
    return (
        CandidacyDecision.objects.filter(episode_id=episode.pk, site_id=episode.site_id).order_by("-decided_at").first()
    )


def evaluation_of(*, actor: Actor, episode: Episode, channel: str = "web") -> dict[str, Any]:
    """The episode's latest consultation, its imaging studies and the latest candidacy decision; read logged."""
    actor.require(Permission.PATIENT_VIEW)
    if episode.site_id != actor.site.pk:
        raise NotFound("episode")
    access_record(actor=actor, patient_id=episode.patient_id, category="evaluation", channel=channel)
    consultation = latest_consultation(episode)
    imaging = list(ImagingStudy.objects.filter(episode_id=episode.pk).order_by("-study_date")) if consultation else []
    return {"consultation": consultation, "imaging": imaging, "candidacy": latest_candidacy(episode)}
