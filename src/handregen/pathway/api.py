"""REST endpoints for protocols and episodes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from handregen.accounts.actor import actor_of
from handregen.cellproducts.selectors import current_product
from handregen.errors import NotFound
from handregen.outcomes.portal_flow import patient_item_count
from handregen.pathway import selectors, services
from handregen.pathway.models import Episode, Protocol

protocols = Router(tags=["protocols"])
episodes = Router(tags=["episodes"])


@protocols.get("/{code}", response=dict[str, Any], summary="A protocol as data (current version)")
def protocol_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    actor_of(request)
    protocol = Protocol.objects.filter(code=code, is_current=True).first()
    if protocol is None:
        raise NotFound("protocol")
    definition = protocol.definition
    doc = protocol.document
    return {
        "code": definition.code,
        "version": definition.version,
        "title": definition.title,
        "indications": list(definition.indications),
        "eligibility": {
            "criteria": doc["eligibility"]["criteria"],
            "inclusions": definition.inclusions,
            "hard_exclusions": definition.hard_exclusions,
            "soft_flags": definition.soft_flags,
        },
        "preparation": doc["preparation"]
        | {"checklist": [code for code, _ in definition.checklist], "checklist_items": doc["preparation"]["checklist"]},
        "consent_document_version": definition.consent_document_version,
        "product": doc["product"],
        "release_criteria": doc["release_criteria"],
        "aftercare": doc["aftercare"],
        # how many questions each time point asks the patient, for whoever edits the schedule (docs/protocols.md)
        "follow_up": [
            point | {"questions_for_the_patient": patient_item_count(point["instruments"])}
            for point in doc["follow_up"]
        ],
        "baseline_questions_for_the_patient": patient_item_count(doc.get("baseline_instruments", [])),
    }


class EpisodeIn(Schema):
    patient_id: uuid.UUID
    indication: Literal["thumb_cmc_oa", "finger_oa", "wrist_oa"]
    side: Literal["left", "right"]
    target_joints: list[str] = Field(min_length=1, max_length=10)
    protocol: str | None = Field(None, max_length=64)


class ProtocolRef(Schema):
    code: str
    version: str


class EpisodeOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    indication: str
    side: str
    target_joints: list[str]
    stage: str
    cycle: int
    protocol: ProtocolRef
    allowed_actions: list[str]
    current_product: dict[str, Any] | None = None
    version: int


class WithdrawIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class TimelineEntry(Schema):
    at: datetime
    action: str
    what: str
    outcome: str
    by: str
    role: str
    object_type: str
    object_id: str
    reason: str
    changes: dict[str, Any]


class Timeline(Schema):
    items: list[TimelineEntry]
    count: int


def episode_out(request: HttpRequest, episode: Episode) -> dict[str, Any]:
    """The episode as the API shows it (shared by every endpoint that answers with an episode)."""
    actor = actor_of(request)
    return {
        "id": episode.pk,
        "patient_id": episode.patient_id,
        "indication": episode.indication,
        "side": episode.side,
        "target_joints": episode.target_joints,
        "stage": episode.stage,
        "cycle": episode.cycle,
        "protocol": {"code": episode.protocol.code, "version": episode.protocol.version},
        "allowed_actions": selectors.allowed_actions(actor=actor, episode=episode),
        "current_product": current_product(episode=episode),
        "version": episode.version,
    }


@episodes.post("", response={201: EpisodeOut}, summary="Open an episode at 'referred'")
def episode_create(request: HttpRequest, payload: EpisodeIn) -> Status[dict[str, Any]]:
    episode = services.episode_open(
        actor=actor_of(request),
        patient=payload.patient_id,
        indication=payload.indication,
        side=payload.side,
        target_joints=payload.target_joints,
        protocol_code=payload.protocol,
    )
    return Status(201, episode_out(request, episode))


@episodes.get("/{episode_id}", response=EpisodeOut, summary="One episode with the actions allowed now")
def episode_detail(request: HttpRequest, episode_id: uuid.UUID) -> dict[str, Any]:
    episode = selectors.episode_get(
        actor=actor_of(request), episode_id=episode_id, channel="api", allow_break_glass=True
    )
    return episode_out(request, episode)


@episodes.post("/{episode_id}/withdraw", response=EpisodeOut, summary="Withdraw the episode")
def episode_withdraw(request: HttpRequest, episode_id: uuid.UUID, payload: WithdrawIn) -> dict[str, Any]:
    actor = actor_of(request)
    episode = selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    return episode_out(request, services.episode_withdraw(actor=actor, episode=episode, reason=payload.reason))


@episodes.get("/{episode_id}/timeline", response=Timeline, summary="Every recorded step, in order")
def episode_timeline(request: HttpRequest, episode_id: uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    episode = selectors.episode_get(actor=actor, episode_id=episode_id, channel="api", allow_break_glass=True)
    items = selectors.episode_timeline(actor=actor, episode=episode, channel="api")
    return {"items": items, "count": len(items)}
