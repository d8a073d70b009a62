"""Reads of consents. `consent_refusals` is the guard that harvest and injection call."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site
from handregen.accounts.roles import Permission
from handregen.audit.services import access_record
from handregen.consent.models import Consent, ConsentDocument, Signature
from handregen.errors import NotFound
from handregen.pathway.models import Episode, Protocol


def required_document_version(*, episode: Episode) -> str:
    """The consent document version the episode's protocol requires now.

    A clinic that revises its consent text loads a new protocol version naming it; episodes already under way
    then need the new consent too (new risk information must reach every patient before harvest or injection).
    """
    current = Protocol.objects.filter(code=episode.protocol.code, is_current=True).first()
    return (current or episode.protocol).definition.consent_document_version


def _when(moment: datetime | None, site: Site) -> str:
    if moment is None:
        return "an unrecorded date"
    zone = site.zone
    return f"{timezone.localtime(moment, zone):%Y-%m-%d %H:%M} ({zone.key})"


def current_consent(*, episode: Episode) -> Consent | None:
    """The episode's active consent, newest first; None when there is none."""
    return (
        Consent.objects.filter(episode_id=episode.pk, site_id=episode.site_id, status="active")
        .select_related("document")
        .order_by("-recorded_at")
        .first()
    )


def latest_consent(*, episode: Episode) -> Consent | None:
    """The episode's newest consent, whatever its status."""
    return (
        Consent.objects.filter(episode_id=episode.pk, site_id=episode.site_id)
        .select_related("document")
        .order_by("-recorded_at")
        .first()
    )


def signature_of(consent: Consent) -> Signature | None:
    return Signature.objects.filter(consent_id=consent.pk).order_by("signed_at").first()


def consent_refusals(*, episode: Episode) -> list[str]:
    """[] when the episode has an active, signed consent that verifies, on the document version required now.

    Otherwise the reasons in plain words. Harvest, injection and the day-of checklist call this.
    """
    consent = current_consent(episode=episode)
    if consent is None:
        latest = latest_consent(episode=episode)
        if latest is None:
            return ["No signed consent on file."]
        if latest.status == "withdrawn":
            reason = f" ({latest.withdrawn_reason})" if latest.withdrawn_reason else ""
            return [
                f"Consent was withdrawn on {_when(latest.withdrawn_at, episode.site)}{reason}; a new consent is needed."
            ]
        return [
            f"Consent was superseded on {_when(latest.superseded_at, episode.site)} and no newer consent is active."
        ]
    reasons = []
    signature = signature_of(consent)
    if signature is None:
        reasons.append("No signed consent on file: the consent has no signature.")
    elif not signature.is_valid_for(consent):
        reasons.append(
            "The consent record no longer matches what the patient signed (signature check failed); "
            "consent must be taken again."
        )
    required = required_document_version(episode=episode)
    if consent.document.version != required:
        reasons.append(
            f"Consent is on document version {consent.document.version}; the protocol now requires {required}."
        )
    return reasons


def consent_for_episode(*, actor: Actor, episode: Episode, channel: str = "web") -> Consent | None:
    """The newest consent of an episode of the actor's site (any status); the read is logged."""
    actor.require(Permission.PATIENT_VIEW)
    if episode.site_id != actor.site.pk:
        raise NotFound("episode")
    access_record(actor=actor, patient_id=episode.patient_id, category="consent", channel=channel)
    return latest_consent(episode=episode)


def consent_get(*, actor: Actor, consent_id: object, channel: str = "web") -> Consent:
    """One consent of the actor's site, else NotFound; the read is logged."""
    actor.require(Permission.PATIENT_VIEW)
    try:
        consent = Consent.objects.select_related("document", "episode", "patient").get(pk=consent_id, site=actor.site)
    except (Consent.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("consent") from exc
    access_record(actor=actor, patient_id=consent.patient_id, category="consent", channel=channel)
    return consent


def consent_document(*, version: str) -> ConsentDocument | None:
    return ConsentDocument.objects.filter(version=version).first()
