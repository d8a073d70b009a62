"""REST endpoints for reviewing the audit trail."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema

from handregen.api import actor_of
from handregen.audit.selectors import break_glass_report

router = Router(tags=["audit"])


class Period(Schema):
    since: datetime | None = None
    until: datetime | None = None


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
