"""Reads of follow-ups and responses, scoped to the actor's site; statuses computed from the dates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import access_record
from handregen.errors import NotFound
from handregen.outcomes.instruments import load_instrument
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.outcomes.progress import (
    CAVEAT,
    PATIENT_WORDS,
    InstrumentProgress,
    ScorePoint,
    episode_progress,
    first_check_words,
)
from handregen.outcomes.schedule import BASELINE, DUE, MISSED, status_on
from handregen.pathway.models import Episode
from handregen.pathway.stages import CLOSED_STAGES, Stage

# Measured by staff with a device, never asked of the patient on the questionnaire page.
MEASURED_BY_STAFF = frozenset({"grip", "pinch"})


def follow_up_status(fu: FollowUp, today: date) -> str:
    """upcoming, due, completed, missed or superseded for `fu` on `today`."""
    return status_on(
        today,
        due_from=fu.due_from,
        due_until=fu.due_until,
        completed=fu.completed_at is not None,
        superseded=fu.superseded_at is not None,
    )


@dataclass
class FollowUpRow:
    """A follow-up with its status on a given day and the responses stored for it."""

    follow_up: FollowUp
    status: str
    responses: list[QuestionnaireResponse] = field(default_factory=list)

    @property
    def recorded(self) -> set[str]:
        return {r.instrument for r in self.responses}


def follow_ups_visible_to(actor: Actor) -> QuerySet[FollowUp]:
    actor.require(Permission.PATIENT_VIEW)
    return FollowUp.objects.filter(site=actor.site).select_related("episode", "patient", "site")


def follow_up_get(*, actor: Actor, follow_up_id: uuid.UUID | str, channel: str = "web") -> FollowUp:
    """The follow-up if it belongs to the actor's site, else NotFound; the read is logged."""
    try:
        fu = follow_ups_visible_to(actor).select_related("episode__protocol").get(pk=follow_up_id)
    except (FollowUp.DoesNotExist, ValueError) as exc:
        raise NotFound("follow-up") from exc
    access_record(actor=actor, patient_id=fu.patient_id, category="outcomes", channel=channel)
    return fu


def _with_responses(qs: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    return qs.prefetch_related(
        Prefetch("responses", queryset=QuestionnaireResponse.objects.order_by("entered_at"), to_attr="stored")
    )


def _order_key(fu: FollowUp) -> tuple[int, int, int]:
    return (fu.cycle, 0 if fu.timepoint == BASELINE else 1, fu.days or 0)


def episode_follow_ups(
    *, actor: Actor, episode: Episode, today: date | None = None, channel: str = "web"
) -> list[FollowUpRow]:
    """Every follow-up of the episode (all cycles), baseline first in each cycle, with status and responses."""
    today = today or actor.site.today()
    rows = _with_responses(follow_ups_visible_to(actor).filter(episode=episode))
    access_record(actor=actor, patient_id=episode.patient_id, category="outcomes", channel=channel)
    ordered = sorted(rows, key=_order_key)
    return [FollowUpRow(fu, follow_up_status(fu, today), list(getattr(fu, "stored", []))) for fu in ordered]


def follow_up_row(*, actor: Actor, follow_up: FollowUp, today: date | None = None) -> FollowUpRow:
    """One follow-up with its status and responses."""
    today = today or actor.site.today()
    responses = list(QuestionnaireResponse.objects.filter(follow_up=follow_up).order_by("entered_at"))
    return FollowUpRow(follow_up, follow_up_status(follow_up, today), responses)


def follow_up_worklist(*, actor: Actor, today: date | None = None) -> list[FollowUpRow]:
    """The site's follow-ups due now or missed and not completed, for episodes still open: due ones first
    (the window closing soonest first), then missed ones (most recently missed first)."""
    today = today or actor.site.today()
    open_now = (
        follow_ups_visible_to(actor)
        .filter(completed_at__isnull=True, superseded_at__isnull=True)
        .exclude(episode__stage__in=[s.value for s in CLOSED_STAGES])
        .filter(Q(due_from__lte=today) | Q(due_from__isnull=True))
    )
    rows = [
        FollowUpRow(fu, follow_up_status(fu, today), list(getattr(fu, "stored", [])))
        for fu in _with_responses(open_now)
    ]
    due = sorted((r for r in rows if r.status == DUE), key=lambda r: r.follow_up.due_until or date.max)
    # A missed baseline cannot be made up after the injection, so it is no work for anyone.
    missed = sorted(
        (r for r in rows if r.status == MISSED and not r.follow_up.is_baseline),
        key=lambda r: r.follow_up.due_until or date.min,
        reverse=True,
    )
    return due + missed


def patient_instruments(fu: FollowUp, recorded: set[str]) -> list[str]:
    """The questionnaires a patient may answer for `fu` through a link: not measured by staff, not yet stored."""
    return [code for code in fu.instruments if code not in MEASURED_BY_STAFF and code not in recorded]


def response_get(*, actor: Actor, response_id: uuid.UUID | str, channel: str = "web") -> QuestionnaireResponse:
    actor.require(Permission.PATIENT_VIEW)
    try:
        response = QuestionnaireResponse.objects.select_related("follow_up").get(pk=response_id, site=actor.site)
    except (QuestionnaireResponse.DoesNotExist, ValueError) as exc:
        raise NotFound("response") from exc
    access_record(actor=actor, patient_id=response.patient_id, category="outcomes", channel=channel)
    return response


@dataclass
class PatientProgress:
    """A treatment cycle's progress in plain words: one entry per instrument, or when the first check is due."""

    instruments: list[InstrumentProgress]
    first_check: str  # "" once a check-up after treatment has a score

    @property
    def caveat(self) -> str:
        return CAVEAT if self.instruments else ""


LATE_BASELINE_LABEL = "Late baseline (answered after the injection)"


def cycle_scores(*, episode: Episode, cycle: int, include_late_baseline: bool = False) -> dict[str, list[ScorePoint]]:
    """Scores of one cycle per progress instrument, baseline included (grip of the treated hand only).

    A baseline answered after the injection is not "before": it is left out unless `include_late_baseline`,
    and then labelled as late. Callers check access first: the patient's own link session, or a staff
    selector that logs the read.
    """
    responses = (
        QuestionnaireResponse.objects.filter(
            episode=episode,
            site_id=episode.site_id,
            follow_up__cycle=cycle,
            follow_up__superseded_at__isnull=True,
            scorable=True,
            instrument__in=list(PATIENT_WORDS),
        )
        .select_related("follow_up")
        .order_by("follow_up__days", "entered_at")
    )
    if not include_late_baseline:
        responses = responses.exclude(late_baseline=True)
    scores: dict[str, list[ScorePoint]] = {}
    for r in responses:
        if r.side and r.side != episode.side:
            continue
        fu = r.follow_up
        days = None if fu.is_baseline else (fu.days or 0)
        label = LATE_BASELINE_LABEL if r.late_baseline else fu.label
        point = ScorePoint(fu.timepoint, label, days, float(r.total or 0), late_baseline=r.late_baseline)
        scores.setdefault(r.instrument, []).append(point)
    return scores


def patient_progress(*, episode: Episode, cycle: int) -> PatientProgress:
    """What the patient's page says about their progress in `cycle` (no actor: see `cycle_scores`)."""
    scores = cycle_scores(episode=episode, cycle=cycle)
    directions = {code: load_instrument(code).higher_is_worse for code in scores}
    found = episode_progress(scores, higher_is_worse=directions)
    scored_after = any(p.days is not None for points in scores.values() for p in points)
    if scored_after:
        return PatientProgress(found, "")
    upcoming = (
        FollowUp.objects.filter(episode=episode, cycle=cycle, superseded_at__isnull=True, completed_at__isnull=True)
        .exclude(timepoint=BASELINE)
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
    )
    return PatientProgress(found, first_check_words(upcoming))


# A baseline is taken before the injection; from the injection on, answers would not be a baseline.
BEFORE_INJECTION = frozenset(
    {
        Stage.REFERRED,
        Stage.CONSULTED,
        Stage.ELIGIBLE,
        Stage.DEFERRED,
        Stage.CONSENTED,
        Stage.PREPARED,
        Stage.HARVESTED,
        Stage.RELEASED,
    }
)


def baseline_missing(*, actor: Actor, episode: Episode) -> list[str]:
    """The protocol's baseline instruments with no score yet in the episode's current cycle, while a baseline
    can still be taken (before the injection); grip and pinch count for the treated hand only."""
    from handregen.outcomes.services import baseline_instruments  # services import this module

    actor.require(Permission.PATIENT_VIEW)
    if episode.stage not in BEFORE_INJECTION:
        return []
    scored = QuestionnaireResponse.objects.filter(
        episode=episode,
        site=actor.site,
        follow_up__cycle=episode.cycle,
        follow_up__timepoint=BASELINE,
        scorable=True,
    ).values_list("instrument", "side")
    have = {code for code, side in scored if not side or side == episode.side}
    return [code for code in baseline_instruments(episode) if code not in have]
