"""REST endpoints for cohort analytics (aggregates only; no identities)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from handregen.accounts.actor import actor_of
from handregen.analytics import selectors
from handregen.analytics.dataset import CohortFilters
from handregen.api_inputs import IsoDate
from handregen.errors import InvalidInput
from handregen.outcomes.instruments import instrument_codes

router = Router(tags=["analytics"])


class OutcomeQuery(Schema):
    instrument: str = Field(..., description="nrs, quickdash, prwe, mhq, fihoa, pgic, grip")
    timepoint: str = Field(..., max_length=32, description="a follow-up time point code of the protocol, e.g. m6")
    subscale: str = Field("", max_length=32)
    missing: Literal["complete_case", "non_responder"] = "complete_case"
    indication: str | None = None
    stage: str | None = None
    source: Literal["adipose", "bone_marrow"] | None = None
    method: str | None = None
    age_band: str | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    injected_from: IsoDate | None = None
    injected_until: IsoDate | None = None
    include_synthetic: bool = Field(
        False, description="count synthetic (made-up) patients too; the answer says how many"
    )


class ExpectationQuery(Schema):
    indication: Literal["thumb_cmc_oa", "finger_oa", "wrist_oa"]
    stage: str | None = Field(None, max_length=8)
    age: int | None = Field(None, ge=18, le=120)
    sex: Literal["female", "male", "other", "unknown"] | None = None
    baseline_nrs: float | None = Field(None, ge=0, le=10)
    timepoint: str = Field("m6", max_length=32)
    include_synthetic: bool = Field(False, description="count synthetic (made-up) patients too (demonstrations)")


@router.get("/outcomes", response=dict[str, Any], summary="Change from baseline and responder rates")
def outcomes(request: HttpRequest, query: Query[OutcomeQuery]) -> dict[str, Any]:
    if query.instrument not in instrument_codes():
        raise InvalidInput([("instrument", f"unknown instrument; use one of {', '.join(instrument_codes())}")])
    filters = CohortFilters(
        **query.dict(exclude={"instrument", "timepoint", "subscale", "missing", "include_synthetic"})
    )
    try:
        return selectors.cohort_outcomes(
            actor=actor_of(request),
            instrument=query.instrument,
            timepoint=query.timepoint,
            subscale=query.subscale,
            filters=filters,
            missing=query.missing,
            include_synthetic=query.include_synthetic,
        )
    except ValueError as exc:
        raise InvalidInput([("subscale", str(exc))]) from exc


@router.get("/expectation", response=dict[str, Any], summary="What happened to similar past patients")
def expectation(request: HttpRequest, query: Query[ExpectationQuery]) -> dict[str, Any]:
    answer = selectors.expectation(
        actor=actor_of(request),
        indication=query.indication,
        stage=query.stage,
        age=query.age,
        sex=query.sex,
        baseline_nrs=query.baseline_nrs,
        timepoint=query.timepoint,
        include_synthetic=query.include_synthetic,
    )
    return answer.as_dict()
