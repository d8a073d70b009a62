"""REST endpoints for patients."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from handregen.accounts.actor import actor_of
from handregen.api_inputs import MAX_OFFSET, IsoDate
from handregen.patients import selectors, services
from handregen.patients.models import BreakGlassGrant, Patient

router = Router(tags=["patients"])


class PatientIn(Schema):
    mrn: str = Field(min_length=1, max_length=40)
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: IsoDate
    sex: Literal["female", "male", "other", "unknown"]
    dominant_hand: Literal["left", "right", "ambidextrous"]
    occupation: str = Field("", max_length=120)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    postal_code: str = Field("", max_length=16)


class PatientOut(Schema):
    id: uuid.UUID
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    dominant_hand: str
    occupation: str
    wristband_code: str
    version: int


class PatientList(Schema):
    items: list[PatientOut]
    count: int


class Page(Schema):
    q: str = Field("", max_length=100)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.post("", response={201: PatientOut}, summary="Register a patient")
def patient_create(request: HttpRequest, payload: PatientIn) -> Status[Patient]:
    patient = services.patient_register(actor=actor_of(request), **payload.dict())
    return Status(201, patient)


@router.get("", response=PatientList, summary="Search patients by name or MRN")
def patient_list(request: HttpRequest, page: Query[Page]) -> dict[str, object]:
    qs = selectors.patient_search(actor=actor_of(request), q=page.q)
    return {"items": list(qs[page.offset : page.offset + page.limit]), "count": qs.count()}


class BreakGlassIn(Schema):
    reason: str = Field(max_length=2000)
    minutes: int = Field(60, ge=1, le=60)


class BreakGlassOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    reason: str
    granted_at: datetime
    expires_at: datetime


@router.post(
    "/{patient_id}/break-glass",
    response={201: BreakGlassOut},
    summary="Emergency read access to a patient of another site, with a reason (at most 60 minutes)",
)
def patient_break_glass(request: HttpRequest, patient_id: uuid.UUID, payload: BreakGlassIn) -> Status[BreakGlassGrant]:
    grant = services.break_glass_open(
        actor=actor_of(request), patient_id=patient_id, reason=payload.reason, minutes=payload.minutes
    )
    return Status(201, grant)


@router.get("/{patient_id}", response=PatientOut, summary="One patient")
def patient_detail(request: HttpRequest, patient_id: uuid.UUID) -> Patient:
    return selectors.patient_get(actor=actor_of(request), patient_id=patient_id, channel="api", allow_break_glass=True)
