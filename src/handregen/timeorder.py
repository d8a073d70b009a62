"""Time runs forwards: the order of a treatment cycle's steps, as pure rules (no Django import).

consent -> harvest -> processing -> release -> injection -> post-care. Each rule compares the moment a
later step happened with the moment the earlier step it depends on happened, and says in words which rule
refused and what to do. Times typed by staff come from wall clocks and devices that differ a little from
the server, so both the order rules and "not in the future" allow one shared `CLOCK_SLACK`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

# The one clock slack of the system: how far a device's or a wall clock's time may differ from the server's.
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class OrderRule:
    """`later` may not happen before `earlier`; `fix` tells staff what to do when it seems to."""

    name: str
    earlier: str
    later: str
    fix: str


HARVEST_AFTER_CONSENT = OrderRule(
    "harvest after consent",
    "the consent it relies on was signed",
    "the harvest started",
    "Check the harvest's start time. If the harvest really came first, it was done without consent on file: "
    "do not record it on this consent; tell the responsible physician.",
)
PROCESSING_AFTER_HARVEST = OrderRule(
    "processing after harvest",
    "the harvest ended",
    "processing started",
    "Check the processing start time against the harvest's end on the product's label.",
)
RELEASE_AFTER_PROCESSING = OrderRule(
    "release after processing",
    "processing ended",
    "the release",
    "Correct the processing end time (with a reason) or wait until processing has ended.",
)
INJECTION_AFTER_RELEASE = OrderRule(
    "injection after release",
    "the product was released",
    "the injection",
    "Wait for the lab's release, then scan again.",
)
POST_CARE_AFTER_INJECTION = OrderRule(
    "post-care after injection",
    "the injection",
    "post-care",
    "Check the monitoring and discharge times: they come after the injection.",
)


def order_refusal(
    rule: OrderRule, *, earlier_at: datetime, later_at: datetime, shown: Callable[[datetime], str], what: str = ""
) -> str | None:
    """The refusal when `later_at` lies before `earlier_at` by more than the clock slack, else None.

    `shown` formats a moment as staff read it; `what` names the later moment more precisely (e.g. a
    monitoring observation) when the rule's own words are not enough.
    """
    if later_at >= earlier_at - CLOCK_SLACK:
        return None
    later = what or rule.later
    return (
        f"Time order rule '{rule.name}': {later} ({shown(later_at)}) is before {rule.earlier} "
        f"({shown(earlier_at)}). {rule.fix}"
    )


def in_future(moment: datetime | None, now: datetime) -> bool:
    """True when `moment` is later than now by more than the clock slack."""
    return moment is not None and moment > now + CLOCK_SLACK


def future_message(what: str) -> str:
    """The refusal of a time in the future, naming the rule."""
    return (
        f"Time rule 'nothing in the future': {what} is later than now (more than "
        f"{int(CLOCK_SLACK.total_seconds() // 60)} minutes ahead). Enter the time it really happened."
    )
