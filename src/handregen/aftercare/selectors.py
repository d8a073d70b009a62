"""Reads of post-procedure care records, scoped to the actor's site."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.aftercare.models import PostCareRecord
from handregen.audit.services import access_record
from handregen.pathway.models import Episode


def episode_post_care(*, actor: Actor, episode: Episode, channel: str = "web") -> QuerySet[PostCareRecord]:
    """The episode's post-procedure care records, one per treatment cycle, latest first; the read is logged."""
    actor.require(Permission.PATIENT_VIEW)
    access_record(actor=actor, patient_id=episode.patient_id, category="post_care", channel=channel)
    return PostCareRecord.objects.filter(site=actor.site, episode=episode).order_by("-cycle")


def aftercare_instructions(episode: Episode) -> dict[str, Any]:
    """The protocol's after-care sheet for this episode: splint days, instructions, when to call, site phone."""
    aftercare = episode.protocol.document.get("aftercare") or {}
    return {
        "splint_days": aftercare.get("splint_days"),
        "instructions": list(aftercare.get("instructions") or []),
        "call_if": list(aftercare.get("call_if") or []),
        "phone": episode.site.phone,
        "protocol": f"{episode.protocol.code} v{episode.protocol.version}",
    }


def aftercare_sheet(*, episode: Episode) -> dict[str, Any]:
    """What the patient was told at discharge in the current cycle, or the protocol's sheet before discharge."""
    record = PostCareRecord.objects.filter(episode=episode, cycle=episode.cycle).first()
    sheet = dict(record.instructions) if record is not None and record.instructions else aftercare_instructions(episode)
    sheet["phone"] = episode.site.phone
    return sheet
