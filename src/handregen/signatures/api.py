"""REST endpoint for unlocking a locked record (site admins): the reason is required and audited."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from handregen.accounts.actor import actor_of
from handregen.signatures import services
from handregen.signatures.selectors import signature_views

router = Router(tags=["signatures"])


class StaffSignatureOut(Schema):
    printed_name: str
    meaning: str
    signer_role: str
    signed_at: datetime = Field(description="UTC")
    signed_local: str = Field(description="The site's local time with its UTC offset")
    signed_version: int
    current_version: int
    void: bool
    valid: bool
    state: str = Field(description="e.g. 'signed version 1, current version 2: applies to the earlier version only'")


class SignIn(Schema):
    password: str = Field("", max_length=200, description="The signer's own password (missing or wrong → 422)")
    otp_code: str = Field("", max_length=12, description="A current authenticator code, when the signer has one")


def signatures_out(record: Any) -> list[dict[str, Any]]:
    """The staff signatures of a record for an API answer, each with its state in words."""
    zone_name = getattr(record.site, "time_zone", "")
    return [view.__dict__ | {"state": view.state} for view in signature_views(record, zone_name=zone_name)]


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
