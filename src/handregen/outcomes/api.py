"""REST endpoints for follow-ups, scored responses and measurements, and patient questionnaire links."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from handregen.accounts.actor import actor_of
from handregen.api_inputs import MAX_OFFSET
from handregen.outcomes import links, selectors, services
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.pathway import selectors as pathway_selectors

episode_router = Router(tags=["follow-ups"])
follow_up_router = Router(tags=["follow-ups"])
response_router = Router(tags=["follow-ups"])

Answers = dict[str, Any]


class Page(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ResponseSummary(Schema):
    id: uuid.UUID
    instrument: str
    side: str
    total: float | None
    scorable: bool


class FollowUpOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    cycle: int
    timepoint: str = Field(description="Time-point code from the protocol, or 'baseline'")
    label: str
    days: int | None
    due_on: date | None
    due_from: date | None
    due_until: date | None
    status: Literal["upcoming", "due", "completed", "missed", "superseded"]
    instruments: list[str]
    completed_at: datetime | None
    completion: str
    responses: list[ResponseSummary]


class FollowUpList(Schema):
    items: list[FollowUpOut]
    count: int


class Scores(Schema):
    total: float | None
    subscales: dict[str, float | None]
    scorable: bool
    reasons: list[str]
    scoring_version: str
    missing_policy: str


class ResponseOut(Schema):
    id: uuid.UUID
    follow_up_id: uuid.UUID
    episode_id: uuid.UUID
    timepoint: str
    instrument: str
    instrument_version: int
    side: str
    pinch_type: str
    device: str
    answers: dict[str, Any]
    options: dict[str, Any]
    scores: Scores
    source: str
    entered_at: datetime
    amended_at: datetime | None
    version: int
    follow_up_status: str


class ResponseList(Schema):
    items: list[ResponseOut]
    count: int


class ResponseIn(Schema):
    instrument: str = Field(min_length=1, max_length=32, description="e.g. nrs, quickdash, prwe, mhq, fihoa, pgic")
    answers: Answers = Field(description="{item_id: value}; null or absent = not answered")
    amendment_reason: str = Field("", max_length=2000, description="Set to correct an instrument already recorded")


class MeasurementIn(Schema):
    instrument: Literal["grip", "pinch"]
    trials: Answers = Field(description="{trial1: kg, trial2: kg, trial3: kg}")
    side: Literal["left", "right"] | None = Field(None, description="Hand measured (default: the treated hand)")
    pinch_type: Literal["tip", "key", "palmar"] | None = None
    device: str = Field("", max_length=80)
    amendment_reason: str = Field("", max_length=2000)


class AmendIn(Schema):
    answers: Answers
    reason: str = Field(min_length=1, max_length=2000)
    version: int | None = Field(None, description="The version you corrected (refused if it changed since)")


class CompleteIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class LinkOut(Schema):
    url: str = Field(description="Give it to the patient; it is shown once and stored only as a hash")
    expires_in_days: int


class WorklistQuery(Page):
    status: Literal["due", "missed"] | None = None


def follow_up_out(row: selectors.FollowUpRow) -> dict[str, Any]:
    fu = row.follow_up
    return {
        "id": fu.pk,
        "episode_id": fu.episode_id,
        "cycle": fu.cycle,
        "timepoint": fu.timepoint,
        "label": fu.label,
        "days": fu.days,
        "due_on": fu.due_on,
        "due_from": fu.due_from,
        "due_until": fu.due_until,
        "status": row.status,
        "instruments": list(fu.instruments),
        "completed_at": fu.completed_at,
        "completion": fu.completion,
        "responses": [
            {"id": r.pk, "instrument": r.instrument, "side": r.side, "total": r.total, "scorable": r.scorable}
            for r in row.responses
        ],
    }


def response_out(response: QuestionnaireResponse, fu: FollowUp) -> dict[str, Any]:
    return {
        "id": response.pk,
        "follow_up_id": fu.pk,
        "episode_id": fu.episode_id,
        "timepoint": fu.timepoint,
        "instrument": response.instrument,
        "instrument_version": response.instrument_version,
        "side": response.side,
        "pinch_type": response.variant,
        "device": response.device,
        "answers": response.answers,
        "options": response.options,
        "scores": {
            "total": response.total,
            "subscales": response.subscales,
            "scorable": response.scorable,
            "reasons": response.reasons,
            "scoring_version": response.scoring_version,
            "missing_policy": response.missing_policy,
        },
        "source": response.source,
        "entered_at": response.entered_at,
        "amended_at": response.amended_at,
        "version": response.version,
        "follow_up_status": selectors.follow_up_status(fu, fu.site.today()),
    }


@episode_router.get("/{episode_id}/follow-ups", response=FollowUpList, summary="The episode's follow-up time points")
def episode_follow_ups(request: HttpRequest, episode_id: uuid.UUID, page: Query[Page]) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    rows = selectors.episode_follow_ups(actor=actor, episode=episode, channel="api")
    chosen = rows[page.offset : page.offset + page.limit]
    return {"items": [follow_up_out(r) for r in chosen], "count": len(rows)}


@episode_router.post(
    "/{episode_id}/baseline-responses", response={201: ResponseOut}, summary="Record a baseline questionnaire"
)
def baseline_response(request: HttpRequest, episode_id: uuid.UUID, payload: ResponseIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    response = services.baseline_response_record(
        actor=actor,
        episode=episode,
        instrument=payload.instrument,
        answers=payload.answers,
        amendment_reason=payload.amendment_reason,
    )
    return Status(201, response_out(response, response.follow_up))


@follow_up_router.get("", response=FollowUpList, summary="Follow-ups due now or missed across the site (worklist)")
def worklist(request: HttpRequest, query: Query[WorklistQuery]) -> dict[str, Any]:
    rows = selectors.follow_up_worklist(actor=actor_of(request))
    if query.status:
        rows = [r for r in rows if r.status == query.status]
    chosen = rows[query.offset : query.offset + query.limit]
    return {"items": [follow_up_out(r) for r in chosen], "count": len(rows)}


@follow_up_router.get("/{follow_up_id}", response=FollowUpOut, summary="One follow-up with its status")
def follow_up_detail(request: HttpRequest, follow_up_id: uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    fu = selectors.follow_up_get(actor=actor, follow_up_id=follow_up_id, channel="api")
    return follow_up_out(selectors.follow_up_row(actor=actor, follow_up=fu))


@follow_up_router.post(
    "/{follow_up_id}/responses", response={201: ResponseOut}, summary="Record a questionnaire, scored on arrival"
)
def response_create(request: HttpRequest, follow_up_id: uuid.UUID, payload: ResponseIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    fu = selectors.follow_up_get(actor=actor, follow_up_id=follow_up_id, channel="api")
    response = services.response_record(
        actor=actor,
        follow_up=fu,
        instrument=payload.instrument,
        answers=payload.answers,
        amendment_reason=payload.amendment_reason,
    )
    fu.refresh_from_db()
    return Status(201, response_out(response, fu))


@follow_up_router.get("/{follow_up_id}/responses", response=ResponseList, summary="Responses stored for a follow-up")
def response_list(request: HttpRequest, follow_up_id: uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    fu = selectors.follow_up_get(actor=actor, follow_up_id=follow_up_id, channel="api")
    row = selectors.follow_up_row(actor=actor, follow_up=fu)
    return {"items": [response_out(r, fu) for r in row.responses], "count": len(row.responses)}


@follow_up_router.post(
    "/{follow_up_id}/measurements", response={201: ResponseOut}, summary="Record grip or pinch trials (kg)"
)
def measurement_create(request: HttpRequest, follow_up_id: uuid.UUID, payload: MeasurementIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    fu = selectors.follow_up_get(actor=actor, follow_up_id=follow_up_id, channel="api")
    response = services.response_record(
        actor=actor,
        follow_up=fu,
        instrument=payload.instrument,
        answers=payload.trials,
        side=payload.side,
        pinch_type=payload.pinch_type or "",
        device=payload.device,
        amendment_reason=payload.amendment_reason,
        field="trials",
    )
    fu.refresh_from_db()
    return Status(201, response_out(response, fu))


@follow_up_router.post("/{follow_up_id}/complete", response=FollowUpOut, summary="Mark a follow-up done (with reason)")
def follow_up_complete(request: HttpRequest, follow_up_id: uuid.UUID, payload: CompleteIn) -> dict[str, Any]:
    actor = actor_of(request)
    fu = selectors.follow_up_get(actor=actor, follow_up_id=follow_up_id, channel="api")
    done = services.followup_mark_done(actor=actor, follow_up=fu, reason=payload.reason)
    return follow_up_out(selectors.follow_up_row(actor=actor, follow_up=done))


@follow_up_router.post(
    "/{follow_up_id}/questionnaire-link", response={201: LinkOut}, summary="A new link for the patient (shown once)"
)
def link_create(request: HttpRequest, follow_up_id: uuid.UUID) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    fu = selectors.follow_up_get(actor=actor, follow_up_id=follow_up_id, channel="api")
    url = links.questionnaire_link_create(actor=actor, follow_up=fu)
    return Status(201, {"url": url, "expires_in_days": settings.HANDREGEN_LINK_DAYS})


@response_router.get("/{response_id}", response=ResponseOut, summary="One stored response with its scores")
def response_detail(request: HttpRequest, response_id: uuid.UUID) -> dict[str, Any]:
    response = selectors.response_get(actor=actor_of(request), response_id=response_id, channel="api")
    return response_out(response, response.follow_up)


@response_router.post("/{response_id}/amend", response=ResponseOut, summary="Correct a response (with a reason)")
def response_amend(request: HttpRequest, response_id: uuid.UUID, payload: AmendIn) -> dict[str, Any]:
    actor = actor_of(request)
    current = selectors.response_get(actor=actor, response_id=response_id, channel="api")
    amended = services.response_amend(
        actor=actor,
        response=current,
        answers=payload.answers,
        reason=payload.reason,
        expected_version=payload.version,
    )
    fu = FollowUp.objects.get(pk=amended.follow_up_id)
    return response_out(amended, fu)
