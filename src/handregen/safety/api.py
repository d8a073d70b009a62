"""REST endpoints for adverse events, serious-event alerts and re-interventions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from handregen.accounts.actor import actor_of
from handregen.api_inputs import IsoDate
from handregen.pathway import selectors as pathway_selectors
from handregen.safety import selectors, services
from handregen.safety.models import AdverseEvent, Reintervention, SafetyAlert
from handregen.safety.terms import is_related

episode_router = Router(tags=["safety"])
adverse_event_router = Router(tags=["safety"])
alert_router = Router(tags=["safety"])

Term = Literal[
    "injection_site_pain_flare",
    "injection_site_swelling",
    "infection",
    "harvest_site_haematoma",
    "vasovagal_reaction",
    "numbness",
    "other",
]
Relatedness = Literal["certain", "probable", "possible", "unlikely", "conditional", "unassessable"]
Criterion = Literal[
    "death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly", "important_medical_event"
]
Action = Literal["none", "observation", "medication", "antibiotics", "procedure", "hospitalisation", "other"]
Outcome = Literal["recovering", "recovered", "recovered_with_sequelae", "not_recovered", "fatal", "unknown"]
# Fields an amendment may set back to empty with null.
CLEARABLE = frozenset({"relatedness_harvest", "relatedness_injection", "relatedness_product", "resolution_date"})
ReinterventionType = Literal[
    "trapeziectomy", "arthrodesis", "joint_replacement", "denervation", "repeat_injection", "other"
]


class AdverseEventIn(Schema):
    term: Term
    other_text: str = Field("", max_length=200, description="The event's name when term is other")
    description: str = Field("", max_length=4000)
    onset_date: IsoDate
    grade: int = Field(ge=1, le=5, description="CTCAE v5.0 grade")
    serious: bool = Field(description="ICH E2A seriousness, recorded independently of the grade")
    seriousness_criteria: list[Criterion] = Field(default_factory=list, max_length=6)
    relatedness: Relatedness = Field(description="WHO-UMC category, to the treatment as a whole")
    relatedness_harvest: Relatedness | None = None
    relatedness_injection: Relatedness | None = None
    relatedness_product: Relatedness | None = None
    action_taken: Action = "none"
    outcome: Outcome | None = Field(None, description="Default: fatal for grade 5, else unknown")
    resolution_date: IsoDate | None = None


class AdverseEventAmendIn(Schema):
    term: Term | None = None
    other_text: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    onset_date: IsoDate | None = None
    grade: int | None = Field(None, ge=1, le=5)
    serious: bool | None = None
    seriousness_criteria: list[Criterion] | None = Field(None, max_length=6)
    relatedness: Relatedness | None = None
    relatedness_harvest: Relatedness | None = None
    relatedness_injection: Relatedness | None = None
    relatedness_product: Relatedness | None = None
    action_taken: Action | None = None
    outcome: Outcome | None = None
    resolution_date: IsoDate | None = None
    reason: str = Field(min_length=1, max_length=2000)
    version: int | None = None


class AdverseEventOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    cycle: int
    term: str
    term_label: str
    other_text: str
    description: str
    onset_date: date
    grade: int
    serious: bool
    seriousness_criteria: list[str]
    relatedness: str
    related: bool | None = Field(description="certain, probable or possible")
    relatedness_harvest: str
    relatedness_injection: str
    relatedness_product: str
    action_taken: str
    outcome: str
    resolution_date: date | None
    reported_at: datetime
    version: int
    alerted: bool


class AdverseEventList(Schema):
    items: list[AdverseEventOut]
    count: int


class AlertOut(Schema):
    id: uuid.UUID
    adverse_event_id: uuid.UUID
    episode_id: uuid.UUID
    created_at: datetime
    emailed_at: datetime | None
    acknowledged_at: datetime | None


class AlertList(Schema):
    items: list[AlertOut]
    count: int


class ReinterventionIn(Schema):
    performed_on: IsoDate
    type: ReinterventionType
    joint: str = Field("", max_length=16, description="Default: the episode's first target joint")
    side: Literal["left", "right"] | None = Field(None, description="Default: the episode's side")
    note: str = Field("", max_length=4000)


class ReinterventionOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    performed_on: date
    type: str
    joint: str
    side: str
    note: str
    recorded_at: datetime
    version: int


class ReinterventionList(Schema):
    items: list[ReinterventionOut]
    count: int


def event_out(event: AdverseEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "episode_id": event.episode_id,
        "cycle": event.cycle,
        "term": event.term,
        "term_label": event.term_label,
        "other_text": event.other_text,
        "description": event.description,
        "onset_date": event.onset_date,
        "grade": event.grade,
        "serious": event.serious,
        "seriousness_criteria": event.seriousness_criteria,
        "relatedness": event.relatedness,
        "related": is_related(event.relatedness),
        "relatedness_harvest": event.relatedness_harvest,
        "relatedness_injection": event.relatedness_injection,
        "relatedness_product": event.relatedness_product,
        "action_taken": event.action_taken,
        "outcome": event.outcome,
        "resolution_date": event.resolution_date,
        "reported_at": event.reported_at,
        "version": event.version,
        "alerted": event.alerts.exists(),
    }


def alert_out(alert: SafetyAlert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "adverse_event_id": alert.adverse_event_id,
        "episode_id": alert.episode_id,
        "created_at": alert.created_at,
        "emailed_at": alert.emailed_at,
        "acknowledged_at": alert.acknowledged_at,
    }


def reintervention_out(row: Reintervention) -> dict[str, Any]:
    return {
        "id": row.pk,
        "episode_id": row.episode_id,
        "performed_on": row.performed_on,
        "type": row.type,
        "joint": row.joint,
        "side": row.side,
        "note": row.note,
        "recorded_at": row.recorded_at,
        "version": row.version,
    }


@episode_router.post("/{episode_id}/adverse-events", response={201: AdverseEventOut}, summary="Record an adverse event")
def adverse_event_create(
    request: HttpRequest, episode_id: uuid.UUID, payload: AdverseEventIn
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    event = services.adverse_event_record(actor=actor, episode=episode, **payload.dict())
    return Status(201, event_out(event))


@episode_router.get("/{episode_id}/adverse-events", response=AdverseEventList, summary="The episode's adverse events")
def adverse_event_list(request: HttpRequest, episode_id: uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    events = [event_out(e) for e in selectors.episode_adverse_events(actor=actor, episode=episode, channel="api")]
    return {"items": events, "count": len(events)}


@episode_router.post(
    "/{episode_id}/reinterventions", response={201: ReinterventionOut}, summary="Record a re-intervention"
)
def reintervention_create(
    request: HttpRequest, episode_id: uuid.UUID, payload: ReinterventionIn
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    row = services.reintervention_record(
        actor=actor,
        episode=episode,
        performed_on=payload.performed_on,
        type=payload.type,
        joint=payload.joint,
        side=payload.side or "",
        note=payload.note,
    )
    return Status(201, reintervention_out(row))


@episode_router.get("/{episode_id}/reinterventions", response=ReinterventionList, summary="Later procedures")
def reintervention_list(request: HttpRequest, episode_id: uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    rows = [
        reintervention_out(r) for r in selectors.episode_reinterventions(actor=actor, episode=episode, channel="api")
    ]
    return {"items": rows, "count": len(rows)}


@adverse_event_router.get("/{adverse_event_id}", response=AdverseEventOut, summary="One adverse event")
def adverse_event_detail(request: HttpRequest, adverse_event_id: uuid.UUID) -> dict[str, Any]:
    return event_out(
        selectors.adverse_event_get(actor=actor_of(request), adverse_event_id=adverse_event_id, channel="api")
    )


@adverse_event_router.post("/{adverse_event_id}/amend", response=AdverseEventOut, summary="Update an adverse event")
def adverse_event_amend(
    request: HttpRequest, adverse_event_id: uuid.UUID, payload: AdverseEventAmendIn
) -> dict[str, Any]:
    actor = actor_of(request)
    event = selectors.adverse_event_get(actor=actor, adverse_event_id=adverse_event_id, channel="api")
    changes = payload.dict(exclude_unset=True)
    reason, version = changes.pop("reason"), changes.pop("version", None)
    changes = {k: v for k, v in changes.items() if v is not None or k in CLEARABLE}
    amended = services.adverse_event_amend(
        actor=actor, adverse_event=event, changes=changes, reason=reason, expected_version=version
    )
    return event_out(amended)


@alert_router.get("", response=AlertList, summary="Serious-event alerts waiting for your review")
def alert_list(request: HttpRequest) -> dict[str, Any]:
    alerts = [alert_out(a) for a in selectors.alerts_open_for(actor=actor_of(request))]
    return {"items": alerts, "count": len(alerts)}


@alert_router.post("/{alert_id}/acknowledge", response=AlertOut, summary="Confirm you reviewed a serious event")
def alert_acknowledge(request: HttpRequest, alert_id: uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    alert = selectors.alert_get(actor=actor, alert_id=alert_id, channel="api")
    return alert_out(services.alert_acknowledge(actor=actor, alert=alert))
