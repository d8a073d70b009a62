"""The counts managers ask for, per month of the appointment: waiting times, no-shows, late cancellations.

Aggregates only (no patient identity), for the actor's site. `month_table` is the pure part.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Min

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.consent.models import Consent
from handregen.scheduling.models import Appointment
from handregen.scheduling.slots import LATE_CANCELLATION


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    consultations: int
    referral_wait_median_days: float | None
    procedure_days: int
    consent_wait_median_days: float | None
    no_shows: int
    late_cancellations: int


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def month_table(
    *,
    referral_waits: Iterable[tuple[str, float]],
    consent_waits: Iterable[tuple[str, float]],
    no_shows: Iterable[str],
    late_cancellations: Iterable[str],
) -> list[Month]:
    """One row per month, newest first, from (month, days) waits and the months of each no-show and late
    cancellation."""
    referral: dict[str, list[float]] = defaultdict(list)
    consent: dict[str, list[float]] = defaultdict(list)
    for month, days in referral_waits:
        referral[month].append(days)
    for month, days in consent_waits:
        consent[month].append(days)
    missed: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    for month in no_shows:
        missed[month] += 1
    for month in late_cancellations:
        late[month] += 1
    months = sorted(set(referral) | set(consent) | set(missed) | set(late), reverse=True)
    return [
        Month(m, len(referral[m]), _median(referral[m]), len(consent[m]), _median(consent[m]), missed[m], late[m])
        for m in months
    ]


def _month(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m")


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def monthly_counts(*, actor: Actor) -> list[Month]:
    """The site's table: referral → first consultation and first consent → procedure day (median days, by the
    month of the appointment), no-shows and cancellations less than a day ahead."""
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    zone = actor.site.zone
    kept = Appointment.objects.filter(site=actor.site).exclude(status="cancelled")
    first_consultation = (
        kept.filter(kind="consultation").values("episode_id", "episode__created_at").annotate(first=Min("starts_at"))
    )
    referral_waits = [
        (_month(r["first"], zone), _days(r["episode__created_at"], r["first"])) for r in first_consultation
    ]
    consents = dict(
        Consent.objects.filter(site=actor.site)
        .values("episode_id")
        .annotate(first=Min("recorded_at"))
        .values_list("episode_id", "first")
    )
    procedure = kept.filter(kind="procedure_day").values("episode_id").annotate(first=Min("starts_at"))
    consent_waits = [
        (_month(r["first"], zone), _days(consents[r["episode_id"]], r["first"]))
        for r in procedure
        if r["episode_id"] in consents
    ]
    no_shows = [_month(at, zone) for at in kept.filter(status="no_show").values_list("starts_at", flat=True)]
    cancelled = Appointment.objects.filter(site=actor.site, status="cancelled").values_list("starts_at", "cancelled_at")
    late = [_month(start, zone) for start, at in cancelled if at is not None and start - at < LATE_CANCELLATION]
    return month_table(
        referral_waits=referral_waits, consent_waits=consent_waits, no_shows=no_shows, late_cancellations=late
    )
