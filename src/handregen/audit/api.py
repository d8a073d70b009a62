"""REST endpoints for reviewing the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema

from handregen.accounts.actor import actor_of
from handregen.api_inputs import IsoDateTime
from handregen.audit.selectors import audit_report, break_glass_report

router = Router(tags=["audit"])


class Period(Schema):
    since: IsoDateTime | None = None
    until: IsoDateTime | None = None


class BreakGlassOut(Schema):
    seq: int
    at: datetime
    by: str
    role: str
    from_site: str
    patient_id: str
    mrn: str
    reason: str
    expires_at: datetime
    reads: int


class BreakGlassList(Schema):
    items: list[BreakGlassOut]
    count: int


@router.get("/break-glass", response=BreakGlassList, summary="Break-glass openings of this site's patients")
def break_glass_list(request: HttpRequest, period: Query[Period]) -> dict[str, object]:
    rows = break_glass_report(actor=actor_of(request), since=period.since, until=period.until)
    return {"items": rows, "count": len(rows)}


class ReportQuery(Period):
    patient_id: uuid.UUID | None = None


class AuditRowOut(Schema):
    at: datetime
    kind: str
    by: str
    role: str
    what: str
    object_type: str
    patient_id: str | None
    channel: str


class AuditReport(Schema):
    items: list[AuditRowOut]
    count: int
    truncated: bool


@router.get("/events", response=AuditReport, summary="Writes and reads of this site's records, per patient and period")
def audit_events(request: HttpRequest, query: Query[ReportQuery]) -> dict[str, object]:
    """Who wrote or read what kind of record, and when; never the values. Newest first; `truncated` says that a
    shorter period would show more."""
    rows, truncated = audit_report(
        actor=actor_of(request), patient_id=query.patient_id, since=query.since, until=query.until
    )
    return {"items": rows, "count": len(rows), "truncated": truncated}
