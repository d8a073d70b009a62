"""REST endpoints for preparation: the patient's instructions and the nurse's day-of checklist."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from handregen.accounts.actor import actor_of
from handregen.api_inputs import IsoDate
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.api import EpisodeOut, episode_out
from handregen.preparation import selectors, services
from handregen.preparation.models import PreparationChecklist

router = Router(tags=["episodes"])


class PreparationIn(Schema):
    checklist: dict[str, bool] = Field(
        description="`{item_code: true/false}` for the protocol's `preparation.checklist` items. The episode "
        "becomes `prepared` only when every item is true; an item false or left out → 409 naming it. "
        "`consent_valid` cannot be true while the consent is not valid (409 with the reason); an unknown item → 422."
    )
    notes: str = Field("", max_length=4000)


class HoldOut(Schema):
    medication: str
    drug_class: str
    label: str
    days_before: int
    prescriber_decision: bool
    text: str
    stop_on: str | None = None


class InstructionsOut(Schema):
    fasting_hours: float | None
    holds: list[HoldOut]
    bring: list[str]
    lines: list[str]
    procedure_date: str | None = None


class ChecklistOut(Schema):
    id: uuid.UUID
    cycle: int
    items: dict[str, Any]
    instructions: dict[str, Any]
    completed_by: str
    completed_at: datetime


class EpisodeAfterPreparation(EpisodeOut):
    preparation: ChecklistOut


class ChecklistItem(Schema):
    code: str
    label: str


class PreparationState(Schema):
    instructions: InstructionsOut
    checklist_items: list[ChecklistItem]
    completed: ChecklistOut | None
    refusals: list[str] = Field(description="Why harvest could not go ahead on preparation grounds (empty if it can)")


class InstructionsQuery(Schema):
    procedure_date: IsoDate | None = Field(None, description="With the procedure date, each hold says when to stop")


def checklist_out(record: PreparationChecklist) -> dict[str, Any]:
    return {
        "id": record.pk,
        "cycle": record.cycle,
        "items": record.items,
        "instructions": record.instructions,
        "completed_by": record.completed_by.get_full_name() or record.completed_by.get_username(),
        "completed_at": record.completed_at,
    }


@router.post(
    "/{episode_id}/preparation",
    response=EpisodeAfterPreparation,
    summary="Complete the day-of preparation checklist; stage 'prepared' when every item holds",
)
def preparation_create(request: HttpRequest, episode_id: uuid.UUID, payload: PreparationIn) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    record = services.preparation_complete(
        actor=actor, episode=episode, checklist=payload.checklist, notes=payload.notes
    )
    moved = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    return episode_out(request, moved) | {"preparation": checklist_out(record)}


@router.get(
    "/{episode_id}/preparation",
    response=PreparationState,
    summary="The patient's preparation instructions and the state of the day-of checklist",
)
def preparation_detail(request: HttpRequest, episode_id: uuid.UUID, query: Query[InstructionsQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    instructions = selectors.instructions_for(actor=actor, episode=episode, procedure_date=query.procedure_date)
    completed = selectors.checklist_for_cycle(episode=episode)
    return {
        "instructions": instructions.as_dict(),
        "checklist_items": [{"code": c, "label": label} for c, label in episode.protocol.definition.checklist],
        "completed": checklist_out(completed) if completed else None,
        "refusals": selectors.preparation_refusals(episode=episode),
    }
