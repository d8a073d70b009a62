"""Appointment kinds, slot arithmetic and the opening-hours rule (pure: no Django).

Every booking holds discrete slots of `SLOT_MINUTES` per clinician and room, and one numbered processing
place per day in the cell lab. The database keeps one active hold per (resource, slot, place), which is
what makes a double booking impossible on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

SLOT_MINUTES = 15


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    default_minutes: int
    room_kinds: frozenset[str]
    needs_lab: bool = False
    needs_window: bool = False


# Slot lengths are clinic parameters; a site admin sets its own (SlotLength rows).
KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("consultation", "Consultation", 45, frozenset({"consultation"})),
        # The shipped same-day protocol harvests and injects on one day: the procedure room for the whole day's
        # block, and one processing place in the cell lab.
        Kind("procedure_day", "Procedure day (harvest and injection)", 240, frozenset({"procedure"}), needs_lab=True),
        Kind("follow_up", "Follow-up visit", 30, frozenset({"consultation", "procedure"}), needs_window=True),
        Kind("grip_strength", "Grip-strength measurement", 15, frozenset({"consultation", "procedure"})),
    )
}
RESOURCE_KINDS = {"clinician": "Clinician", "room": "Room", "lab": "Cell lab"}
ROOM_KINDS = {"consultation": "Consultation room", "procedure": "Procedure room with imaging"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STATUS_LABELS = {
    "booked": "Booked",
    "cancelled": "Cancelled",
    "attended": "Attended",
    "no_show": "Did not attend",
}
# A cancellation less than this long before the start counts as late (clinic parameter, for the managers' counts).
LATE_CANCELLATION = timedelta(hours=24)
# Without a time given, the injection on a procedure day is this long after the harvest starts.
DEFAULT_INJECTION_AFTER = timedelta(hours=3)


def is_on_grid(moment: datetime) -> bool:
    """True when `moment` starts a slot (a whole multiple of SLOT_MINUTES past the hour, no seconds)."""
    return moment.minute % SLOT_MINUTES == 0 and moment.second == 0 and moment.microsecond == 0


def slots_covering(starts_at: datetime, ends_at: datetime) -> list[datetime]:
    """The slot starts from `starts_at` (on the grid) up to, not including, `ends_at`."""
    step = timedelta(minutes=SLOT_MINUTES)
    slots: list[datetime] = []
    moment = starts_at
    while moment < ends_at:
        slots.append(moment)
        moment += step
    return slots


def lab_day_key(day: date) -> datetime:
    """The slot key of a lab processing place: midnight (naive, treated as UTC) of the local day."""
    return datetime.combine(day, time(0))


@dataclass(frozen=True)
class Hours:
    opens: time
    closes: time


def hours_refusal(*, name: str, day: date, start: time, end: time, hours: Hours | None, whole_day: bool) -> str | None:
    """Why `name` cannot be booked from `start` to `end` on `day` (local times), or None when it can.

    `whole_day` (the lab's processing capacity) needs only the day to be a working day.
    """
    weekday = WEEKDAYS[day.weekday()]
    if hours is None:
        return f"{name} does not work on {weekday}s."
    if whole_day:
        return None
    if start < hours.opens or end > hours.closes or end <= start:
        return (
            f"{name} works from {hours.opens:%H:%M} to {hours.closes:%H:%M} on {weekday}s; "
            f"{start:%H:%M} to {end:%H:%M} is outside those hours."
        )
    return None


def window_refusal(*, label: str, day: date, due_from: date, due_until: date, reason: str) -> str | None:
    """The follow-up window rule: a visit outside its window needs a reason."""
    if due_from <= day <= due_until or reason.strip():
        return None
    return (
        f"The {label} visit is due between {due_from:%-d %b %Y} and {due_until:%-d %b %Y}; "
        f"{day:%-d %b %Y} is outside that window. Choose a date inside it or give a reason."
    )


def expiry_refusal(*, harvest_at: datetime, injection_at: datetime, expiry_hours: float | None) -> str | None:
    """The product's shelf life: the booked injection must come before it expires (hours after harvest)."""
    if expiry_hours is None:
        return None
    if injection_at - harvest_at > timedelta(hours=float(expiry_hours)):
        return (
            f"The cell product would expire before the booked injection: it keeps {float(expiry_hours):g} hours "
            f"after harvest, and the injection is booked {(injection_at - harvest_at).total_seconds() / 3600:g} "
            "hours after the harvest starts."
        )
    return None


def initials(given_name: str, family_name: str) -> str:
    """`R.T.`: all a staff calendar outside handregen may show of a patient."""
    return "".join(f"{part[:1].upper()}." for part in (given_name, family_name) if part)
