"""REST endpoints for post-procedure care (the `post_care` step), after-care instructions and a further cycle."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from handregen.accounts.actor import actor_of
from handregen.aftercare import selectors, services
from handregen.aftercare.models import PostCareRecord
from handregen.api_inputs import IsoDateTime
from handregen.outcomes import selectors as outcome_selectors
from handregen.outcomes.api import FollowUpOut, follow_up_out
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.api import EpisodeOut, episode_out

router = Router(tags=["episodes"])

SiteState = Literal["normal", "swelling", "bruising", "oozing", "bleeding", "haematoma", "redness"]


class ObservationIn(Schema):
    """One observation; the bounds are aftercare.monitoring.RANGES (a test keeps them equal)."""

    at: IsoDateTime = Field(description="When the observation was made")
    pain_nrs: int | None = Field(None, ge=0, le=10)
    heart_rate: int | None = Field(None, ge=20, le=250, description="beats per minute")
    systolic_bp: int | None = Field(None, ge=50, le=260, description="mmHg")
    diastolic_bp: int | None = Field(None, ge=20, le=160, description="mmHg")
    temperature_c: float | None = Field(None, ge=30, le=43, description="degrees Celsius")
    spo2: int | None = Field(None, ge=50, le=100, description="%")
    injection_site: SiteState | None = None
    harvest_site: SiteState | None = None
    note: str = Field("", max_length=500)


class PostCareIn(Schema):
    monitoring: list[ObservationIn] = Field(max_length=50, description="Observations after the injection")
    discharged_at: IsoDateTime
    instructions_given: bool = Field(description="The after-care instructions were given to the patient")


class AftercareInstructions(Schema):
    splint_days: int | None
    instructions: list[str]
    call_if: list[str]
    phone: str
    protocol: str


class PostCareRecordOut(Schema):
    id: uuid.UUID
    cycle: int
    injected_at: datetime | None
    monitoring: list[dict[str, Any]]
    discharged_at: datetime
    instructions_given: bool
    instructions: AftercareInstructions
    recorded_at: datetime
    version: int


class PostCareOut(PostCareRecordOut):
    stage: str
    episode: EpisodeOut
    follow_ups: list[FollowUpOut]


class PostCareList(Schema):
    items: list[PostCareRecordOut]
    count: int


class RepeatCycleIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


def _record_out(record: PostCareRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "cycle": record.cycle,
        "injected_at": record.injected_at,
        "monitoring": record.monitoring,
        "discharged_at": record.discharged_at,
        "instructions_given": record.instructions_given,
        "instructions": record.instructions,
        "recorded_at": record.recorded_at,
        "version": record.version,
    }


@router.post("/{episode_id}/post-care", response={201: PostCareOut}, summary="Record post-procedure care and discharge")
def post_care(request: HttpRequest, episode_id: uuid.UUID, payload: PostCareIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    record = services.post_care_record(
        actor=actor,
        episode=episode,
        monitoring=[o.dict() for o in payload.monitoring],
        discharged_at=payload.discharged_at,
        instructions_given=payload.instructions_given,
    )
    episode.refresh_from_db()
    rows = outcome_selectors.episode_follow_ups(actor=actor, episode=episode, channel="api")
    return Status(
        201,
        _record_out(record)
        | {
            "stage": episode.stage,
            "episode": episode_out(request, episode),
            "follow_ups": [follow_up_out(r) for r in rows if r.follow_up.cycle == record.cycle],
        },
    )


@router.get("/{episode_id}/post-care", response=PostCareList, summary="Post-procedure care records (per cycle)")
def post_care_list(request: HttpRequest, episode_id: uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    records = [_record_out(r) for r in selectors.episode_post_care(actor=actor, episode=episode, channel="api")]
    return {"items": records, "count": len(records)}


@router.get(
    "/{episode_id}/aftercare-instructions", response=AftercareInstructions, summary="The protocol's after-care sheet"
)
def aftercare_instructions(request: HttpRequest, episode_id: uuid.UUID) -> dict[str, Any]:
    episode = pathway_selectors.episode_get(actor=actor_of(request), episode_id=episode_id, channel="api")
    return selectors.aftercare_sheet(episode=episode)


@router.post("/{episode_id}/repeat-cycle", response=EpisodeOut, summary="Start a further treatment cycle")
def repeat_cycle(request: HttpRequest, episode_id: uuid.UUID, payload: RepeatCycleIn) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    moved = services.episode_repeat_cycle(actor=actor, episode=episode, reason=payload.reason)
    return episode_out(request, moved)
