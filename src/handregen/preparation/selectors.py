"""Reads of preparation. `preparation_refusals` is the guard that harvest and injection call."""

from __future__ import annotations

from datetime import date

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import access_record
from handregen.errors import NotFound
from handregen.evaluation.selectors import latest_consultation
from handregen.pathway.models import Episode
from handregen.preparation.instructions import Instructions, preparation_instructions
from handregen.preparation.models import PreparationChecklist
from handregen.scheduling.selectors import booked_procedure_date


def checklist_for_cycle(*, episode: Episode) -> PreparationChecklist | None:
    """The day-of checklist of the episode's current treatment cycle, if completed."""
    return PreparationChecklist.objects.filter(
        episode_id=episode.pk, site_id=episode.site_id, cycle=episode.cycle
    ).first()


def preparation_refusals(*, episode: Episode) -> list[str]:
    """[] when the current cycle's day-of checklist is complete; else the reason in plain words."""
    checklist = checklist_for_cycle(episode=episode)
    if checklist is None:
        return [f"The day-of preparation checklist for treatment cycle {episode.cycle} has not been completed."]
    if not checklist.complete:
        missing = [code for code, v in checklist.items.items() if not v.get("value")]
        return [f"The day-of preparation checklist is incomplete: {', '.join(missing)}."]
    return []


def instructions_for(*, actor: Actor, episode: Episode, procedure_date: date | None = None) -> Instructions:
    """This patient's preparation instructions: the episode's protocol and the latest consultation's medicines."""
    actor.require(Permission.PATIENT_VIEW)
    if episode.site_id != actor.site.pk:
        raise NotFound("episode")
    access_record(actor=actor, patient_id=episode.patient_id, category="preparation", channel="web")
    return instructions_of(episode=episode, procedure_date=procedure_date)


def instructions_of(*, episode: Episode, procedure_date: date | None = None) -> Instructions:
    """The instructions with stop dates counted from the booked procedure day; a typed `procedure_date` is used
    only while no procedure day is booked."""
    consultation = latest_consultation(episode)
    booked = booked_procedure_date(episode=episode)
    return preparation_instructions(
        preparation=episode.protocol.definition.raw.get("preparation", {}),
        medications=list(consultation.medications) if consultation else [],
        procedure_date=booked or procedure_date,
    )
