"""Follow-up time points as calendar dates, and the status of a time point on a given day (pure: no Django).

A protocol's follow-up point says "`days` after the injection, from `window_before` days before to
`window_after` days after" (pathway/protocols/*.json, `follow_up`); `schedule` turns that into dates for one
injection date. The status of a time point is a function of the dates, today and whether it was completed,
so no job has to flip statuses at midnight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

BASELINE = "baseline"

UPCOMING = "upcoming"
DUE = "due"
COMPLETED = "completed"
MISSED = "missed"
SUPERSEDED = "superseded"
STATUSES = (UPCOMING, DUE, COMPLETED, MISSED, SUPERSEDED)

STATUS_WORDS = {
    UPCOMING: "Not yet due",
    DUE: "Due now",
    COMPLETED: "Completed",
    MISSED: "Missed (window passed)",
    SUPERSEDED: "Not needed (a further treatment cycle started)",
}


class PointSpec(Protocol):
    """What `schedule` needs of a protocol's follow-up point (pathway.protocol.FollowUpPoint fits)."""

    @property
    def code(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def days(self) -> int: ...
    @property
    def window_before(self) -> int: ...
    @property
    def window_after(self) -> int: ...
    @property
    def instruments(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class ScheduledPoint:
    """One time point of one treatment cycle, in dates: the target day and the window around it."""

    code: str
    label: str
    days: int
    due_on: date
    due_from: date
    due_until: date
    instruments: tuple[str, ...]


def schedule(injection_date: date, points: Iterable[PointSpec]) -> list[ScheduledPoint]:
    """The protocol's follow-up points as dates counted from `injection_date` (day 0), in protocol order.

    due_on = injection date + days; the window runs from due_on - window_before to due_on + window_after,
    both days included. Raises ValueError for a negative day count or window, or a repeated code.
    """
    scheduled: list[ScheduledPoint] = []
    seen: set[str] = set()
    for point in points:
        if point.code in seen or point.code == BASELINE:
            raise ValueError(f"follow-up code {point.code!r} is repeated or reserved")
        seen.add(point.code)
        for name in ("days", "window_before", "window_after"):
            if getattr(point, name) < 0:
                raise ValueError(f"follow-up {point.code}: {name} must not be negative")
        due_on = injection_date + timedelta(days=point.days)
        scheduled.append(
            ScheduledPoint(
                code=point.code,
                label=point.label,
                days=point.days,
                due_on=due_on,
                due_from=due_on - timedelta(days=point.window_before),
                due_until=due_on + timedelta(days=point.window_after),
                instruments=tuple(point.instruments),
            )
        )
    return scheduled


def status_on(
    today: date,
    *,
    due_from: date | None,
    due_until: date | None,
    completed: bool,
    superseded: bool = False,
) -> str:
    """The status of a time point on `today`.

    completed wins; then superseded; then `missed` once `due_until` has passed, `upcoming` before
    `due_from`, and `due` inside the window (both ends included). A missing bound is an open end.
    """
    if completed:
        return COMPLETED
    if superseded:
        return SUPERSEDED
    if due_until is not None and today > due_until:
        return MISSED
    if due_from is not None and today < due_from:
        return UPCOMING
    return DUE


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on a day (for norms that depend on age, e.g. grip)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
