"""REST endpoint for unlocking a locked record (site admins): the reason is required and audited."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from handregen.api import actor_of
from handregen.signatures import services

router = Router(tags=["signatures"])


class UnlockIn(Schema):
    record_type: Literal["consent", "cell_product", "adverse_event"]
    record_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=2000, description="Why the locked record must be changed")


class UnlockOut(Schema):
    id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    record_version: int
    reason: str
    unlocked_at: datetime
    signatures_voided: int


@router.post(
    "",
    response={201: UnlockOut},
    summary="Unlock a locked record (signed consent, released product, closed adverse event) with a reason",
    description="Voids every staff signature on the record; the record may then be amended once and signed again.",
)
def unlock_create(request: HttpRequest, payload: UnlockIn) -> Status:
    unlock = services.record_unlock(
        actor=actor_of(request), record_type=payload.record_type, record_id=payload.record_id, reason=payload.reason
    )
    body: dict[str, Any] = {
        "id": unlock.pk,
        "record_type": unlock.record_type,
        "record_id": unlock.record_id,
        "record_version": unlock.record_version,
        "reason": unlock.reason,
        "unlocked_at": unlock.unlocked_at,
        "signatures_voided": unlock.voids.count(),
    }
    return Status(201, body)
