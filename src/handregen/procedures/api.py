"""REST endpoints for the harvest and the injection (pathway steps of an episode)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from handregen.accounts.actor import actor_of
from handregen.api_inputs import IsoDateTime
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.api import EpisodeOut, episode_out
from handregen.procedures import services

router = Router(tags=["episodes"])


class HarvestIn(Schema):
    source: Literal["bone_marrow", "adipose"]
    origin: Literal["autologous", "allogeneic"]
    donor_id: uuid.UUID | None = Field(None, description="Needed for an allogeneic harvest")
    volume_ml: float = Field(gt=0, le=1000)
    harvest_site: Literal["iliac_crest", "abdomen", "thigh", "flank"]
    anaesthesia: Literal["local", "local_sedation", "regional", "general"] = "local"
    started_at: IsoDateTime | None = None
    ended_at: IsoDateTime | None = Field(None, description="End of the harvest (default now): expiry counts from it")
    complications: str = Field("", max_length=4000)
    approval_reference: str = Field("", max_length=80)
    location: str = Field("Procedure room", max_length=120)


class HarvestOut(Schema):
    id: uuid.UUID
    product_id: uuid.UUID
    product_code: str = Field(description="Identifier with its check character, as printed in the barcode")
    product_identifier: str
    check_character: str
    expires_at: datetime
    stage: str
    episode: EpisodeOut


class InjectionIn(Schema):
    product_code: str = Field(max_length=100, description="As scanned from the product label")
    wristband_code: str = Field(max_length=100, description="As scanned from the patient's wristband")
    joint: str = Field(min_length=1, max_length=16)
    side: Literal["left", "right"]
    guidance: Literal["ultrasound", "fluoroscopy"]
    anaesthetic: str = Field(min_length=1, max_length=120, description="Local anaesthetic and dose, or 'none'")
    volume_ml: float = Field(gt=0, le=20)
    location: str = Field("Procedure room", max_length=120)


class InjectionOut(Schema):
    id: uuid.UUID
    product_id: uuid.UUID
    product_code: str
    joint: str
    side: str
    performed_at: datetime
    stage: str
    episode: EpisodeOut


@router.post("/{episode_id}/harvest", response={201: HarvestOut}, summary="Record the harvest; creates the product")
def harvest(request: HttpRequest, episode_id: uuid.UUID, payload: HarvestIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    fields = payload.dict()
    record = services.harvest_record(actor=actor, episode=episode, donor=fields.pop("donor_id"), **fields)
    product = record.product
    episode.refresh_from_db()
    return Status(
        201,
        {
            "id": record.pk,
            "product_id": product.pk,
            "product_code": product.code,
            "product_identifier": product.din,
            "check_character": product.product_code.check,
            "expires_at": product.expires_at,
            "stage": episode.stage,
            "episode": episode_out(request, episode),
        },
    )


@router.post(
    "/{episode_id}/injection",
    response={201: InjectionOut},
    summary="Verify product and wristband at the bedside and record the injection",
)
def injection(request: HttpRequest, episode_id: uuid.UUID, payload: InjectionIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    record = services.injection_record(actor=actor, episode=episode, **payload.dict())
    episode.refresh_from_db()
    return Status(
        201,
        {
            "id": record.pk,
            "product_id": record.product_id,
            "product_code": record.product.code,
            "joint": record.joint,
            "side": record.side,
            "performed_at": record.performed_at,
            "stage": episode.stage,
            "episode": episode_out(request, episode),
        },
    )
