"""Follow-up schedules, scored responses and measurements, completion: the only code that writes outcomes.

Scores come from the pure `outcomes.scoring.score`; the scoring version, missing-item policy and the options
used (hand, age, sex, side) are stored with every response, so a later rule change never rewrites history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record, changes_between
from handregen.errors import GuardRefused, InvalidInput, NotFound
from handregen.outcomes.instruments import Instrument, load_instrument
from handregen.outcomes.models import PINCH_TYPES, FollowUp, QuestionnaireLink, QuestionnaireResponse
from handregen.outcomes.schedule import BASELINE, age_on, schedule
from handregen.outcomes.scoring import RULES, score, validate_answers
from handregen.outcomes.selectors import MEASURED_BY_STAFF
from handregen.pathway.models import Episode
from handregen.procedures.selectors import cycle_injected_at
from handregen.versions import version_check

# Optional QuickDASH modules may be added wherever QuickDASH is collected.
QUICKDASH_MODULES = ("quickdash_work", "quickdash_sport")
MAX_ANSWERS = 200
_PINCH_TYPES = {code for code, _ in PINCH_TYPES}


def _follow_up_locked(*, actor: Actor, follow_up: FollowUp | Any) -> FollowUp:
    pk = follow_up.pk if isinstance(follow_up, FollowUp) else follow_up
    try:
        return (
            FollowUp.objects.select_for_update()
            .select_related("episode", "patient", "site", "episode__protocol")
            .get(pk=pk, site=actor.site)
        )
    except (FollowUp.DoesNotExist, ValueError) as exc:
        raise NotFound("follow-up") from exc


def _episode_of_site(*, actor: Actor, episode: Episode | Any) -> Episode:
    pk = episode.pk if isinstance(episode, Episode) else episode
    try:
        return Episode.objects.select_related("protocol", "patient").get(pk=pk, site=actor.site)
    except (Episode.DoesNotExist, ValueError) as exc:
        raise NotFound("episode") from exc


def _audit_follow_up(
    actor: Actor | None, fu: FollowUp, action: str, changes: Mapping[str, Any], reason: str = ""
) -> None:
    audit_record(
        actor=actor,
        site=fu.site if actor is None else None,
        action=action,
        object_type="follow_up",
        object_id=fu.pk,
        changes=changes,
        reason=reason,
        patient_id=fu.patient_id,
        episode_id=fu.episode_id,
    )


def baseline_instruments(episode: Episode) -> list[str]:
    raw = episode.protocol.document.get("baseline_instruments")
    if raw:
        return [str(code) for code in raw]
    seen: list[str] = []
    for point in episode.protocol.definition.follow_up:
        seen += [code for code in point.instruments if code not in seen and code != "pgic"]
    return seen


def _baseline_ensure(*, actor: Actor, episode: Episode, injected_on: date | None = None) -> FollowUp:
    """The baseline record of the episode's current cycle, created when missing; its window closes at injection."""
    existing = FollowUp.objects.filter(episode=episode, cycle=episode.cycle, timepoint=BASELINE).first()
    if existing is not None:
        if injected_on is not None and existing.due_until is None:
            before = {"due_until": None, "injected_on": None}
            existing.due_until = max(injected_on, existing.due_from) if existing.due_from else injected_on
            existing.injected_on = injected_on
            existing.version += 1
            existing.save()
            _audit_follow_up(
                actor,
                existing,
                "follow_up.baseline_closes",
                changes_between(before, {"due_until": existing.due_until, "injected_on": injected_on}),
            )
        return existing
    opened = timezone.localtime(episode.created_at, episode.site.zone).date()
    due_from = opened if episode.cycle == 1 else episode.site.today()
    if injected_on is not None:
        due_from = min(due_from, injected_on)
    baseline = FollowUp.objects.create(
        site=episode.site,
        patient=episode.patient,
        episode=episode,
        cycle=episode.cycle,
        timepoint=BASELINE,
        label="Baseline (before the injection)",
        injected_on=injected_on,
        due_from=due_from,
        due_until=injected_on,
        instruments=baseline_instruments(episode),
    )
    _audit_follow_up(
        actor,
        baseline,
        "follow_up.schedule",
        {
            "timepoint": [None, BASELINE],
            "cycle": [None, episode.cycle],
            "due_from": [None, due_from],
            "due_until": [None, injected_on],
            "instruments": [None, baseline.instruments],
        },
    )
    return baseline


@transaction.atomic
def followups_schedule(*, actor: Actor, episode: Episode | Any, injected_on: date) -> list[FollowUp]:
    """Schedule the protocol's time points of the episode's current cycle from the injection date.

    Also makes sure the cycle has a baseline record, whose window closes on the injection date. Time points
    already scheduled for the cycle are kept as they are, so calling this twice changes nothing.
    """
    actor.require(Permission.FOLLOW_UP_RECORD)
    found = _episode_of_site(actor=actor, episode=episode)
    existing = {f.timepoint: f for f in FollowUp.objects.filter(episode=found, cycle=found.cycle)}
    rows = [_baseline_ensure(actor=actor, episode=found, injected_on=injected_on)]
    for point in schedule(injected_on, found.protocol.definition.follow_up):
        if point.code in existing:
            rows.append(existing[point.code])
            continue
        follow_up = FollowUp.objects.create(
            site=found.site,
            patient=found.patient,
            episode=found,
            cycle=found.cycle,
            timepoint=point.code,
            label=point.label,
            days=point.days,
            injected_on=injected_on,
            due_on=point.due_on,
            due_from=point.due_from,
            due_until=point.due_until,
            instruments=list(point.instruments),
        )
        _audit_follow_up(
            actor,
            follow_up,
            "follow_up.schedule",
            {
                "timepoint": [None, point.code],
                "cycle": [None, found.cycle],
                "due_on": [None, point.due_on],
                "due_from": [None, point.due_from],
                "due_until": [None, point.due_until],
                "instruments": [None, list(point.instruments)],
            },
        )
        rows.append(follow_up)
    return rows


def allowed_instruments(follow_up: FollowUp) -> list[str]:
    """Instruments that may be recorded at this follow-up: its own, QuickDASH's modules with QuickDASH, and
    grip and pinch, which a clinician may measure at any visit."""
    codes = list(follow_up.instruments)
    if "quickdash" in codes:
        codes += [m for m in QUICKDASH_MODULES if m not in codes]
    return codes + sorted(MEASURED_BY_STAFF - set(codes))


def scoring_options(definition: Instrument, *, episode: Episode, side: str, on: date) -> dict[str, object]:
    """The options a scoring rule takes, taken from the record, never typed by staff: the treated hand (MHQ),
    age, sex and measured side (grip), and the protocol's PRWE missing-item policy."""
    accepted = RULES[definition.scoring_rule].options
    patient = episode.patient
    known: dict[str, object] = {
        "hand": episode.side,
        "age": age_on(patient.birth_date, on),
        "sex": patient.sex,
        "side": side,
    }
    policy = (episode.protocol.document.get("scoring") or {}).get("prwe_missing_policy")
    if policy:
        known["missing_policy"] = policy
    return {name: value for name, value in known.items() if name in accepted}


def _checked_answers(answers: object, field: str) -> dict[str, Any]:
    if not isinstance(answers, Mapping):
        raise InvalidInput([(field, "give the answers as {item id: value}")])
    if not answers:
        raise InvalidInput([(field, "answer at least one item")])
    if len(answers) > MAX_ANSWERS:
        raise InvalidInput([(field, f"at most {MAX_ANSWERS} items")])
    return dict(answers)


def _after_injection(fu: FollowUp, now: datetime, today: date) -> bool:
    """Whether answers given now to the baseline `fu` come after its cycle's injection (a late baseline).

    The injection's time when one is recorded; otherwise the baseline window's last day (the injection date).
    """
    injected_at = cycle_injected_at(episode_id=fu.episode_id, cycle=fu.cycle)
    if injected_at is not None:
        return now > injected_at
    return fu.due_until is not None and today > fu.due_until


def _store(
    *,
    actor: Actor | None,
    fu: FollowUp,
    instrument: str,
    answers: object,
    source: str,
    side: str | None = None,
    variant: str = "",
    device: str = "",
    amendment_reason: str = "",
    field: str = "answers",
    expected_version: int | None = None,
    answered_at: datetime | None = None,
) -> QuestionnaireResponse:
    """Validate, score and store one instrument at a locked follow-up (staff or patient).

    `expected_version` is the version of the stored response the caller loaded (0: none was stored); a
    response saved meanwhile refuses the save with both values (StaleVersion), never overwrites it.
    """
    if fu.superseded_at is not None:
        raise GuardRefused([f"The {fu.label} follow-up is no longer needed: a further treatment cycle started."])
    try:
        definition = load_instrument(instrument)
    except ValueError as exc:
        raise InvalidInput([("instrument", str(exc))]) from exc
    allowed = allowed_instruments(fu)
    if instrument not in allowed:
        raise InvalidInput(
            [("instrument", f"{instrument} is not collected at {fu.label}; use one of {', '.join(allowed)}")]
        )
    checked = _checked_answers(answers, field)
    today = fu.site.today()
    now = timezone.now()
    late_baseline = fu.is_baseline and _after_injection(fu, now, today)
    measured_side, pinch_type = "", ""
    if instrument in MEASURED_BY_STAFF:
        if source != "staff":
            raise InvalidInput([("instrument", f"{instrument} is measured by staff")])
        measured_side = side or fu.episode.side
        if measured_side not in ("left", "right"):
            raise InvalidInput([("side", "must be left or right")])
        if instrument == "pinch":
            pinch_type = variant or "key"
            if pinch_type not in _PINCH_TYPES:
                raise InvalidInput([("pinch_type", f"must be one of {', '.join(sorted(_PINCH_TYPES))}")])
    problems = validate_answers(instrument, checked)
    if problems:
        raise InvalidInput([(f"{field}.{item_id}", message) for item_id, message in problems])
    options = scoring_options(definition, episode=fu.episode, side=measured_side, on=today)
    result = score(instrument, checked, **options)
    values = {
        "answers": checked,
        "options": options,
        "total": result.total,
        "subscales": result.subscales,
        "scorable": result.scorable,
        "reasons": result.reasons,
        "scoring_version": result.scoring_version,
        "missing_policy": result.missing_policy or "",
        "label_set": definition.label_set or "",
        "instrument_version": definition.version,
        "device": device.strip()[:80],
        "late_baseline": late_baseline,
    }
    existing = (
        QuestionnaireResponse.objects.select_for_update()
        .filter(follow_up=fu, instrument=instrument, side=measured_side, variant=pinch_type)
        .first()
    )
    if existing is not None:
        version_check(
            what=f"{definition.name} at {fu.label}",
            version=existing.version,
            expected_version=expected_version,
            current=_shown_response(existing),
        )
        if not amendment_reason.strip():
            raise GuardRefused([_already_recorded(definition, fu, existing)])
        values.pop("late_baseline")  # a correction keeps when the answers were first given
        return _amend(actor=actor, response=existing, values=values, reason=amendment_reason.strip(), fu=fu)
    response = QuestionnaireResponse(
        site=fu.site,
        patient=fu.patient,
        episode=fu.episode,
        follow_up=fu,
        instrument=instrument,
        side=measured_side,
        variant=pinch_type,
        source=source,
        entered_by=actor.user if actor else None,
        entered_at=answered_at or now,
        **values,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:  # the same questionnaire submitted twice at once: one response is kept
        raise GuardRefused([_already_recorded(definition, fu, None)]) from exc
    audit_record(
        actor=actor,
        site=fu.site if actor is None else None,
        action="outcome.response_record",
        object_type="questionnaire_response",
        object_id=response.pk,
        changes={k: [None, values[k]] for k in ("answers", "total", "subscales", "scorable", "scoring_version")}
        | {
            "instrument": [None, instrument],
            "follow_up": [None, str(fu.pk)],
            "source": [None, source],
            "side": [None, measured_side],
            "variant": [None, pinch_type],
        }
        | ({"late_baseline": [None, True]} if late_baseline else {}),
        reason=amendment_reason.strip(),
        patient_id=fu.patient_id,
        episode_id=fu.episode_id,
    )
    _completion_update(actor=actor, fu=fu)
    return response


def _shown_response(response: QuestionnaireResponse) -> dict[str, Any]:
    """A stored response as a conflict shows it: each answer, then the score."""
    return {**{str(k): v for k, v in response.answers.items()}, "score": response.total}


def _already_recorded(definition: Instrument, fu: FollowUp, existing: QuestionnaireResponse | None) -> str:
    when = f" on {timezone.localtime(existing.entered_at):%d %b %Y}" if existing is not None else ""
    return (
        f"{definition.name} is already recorded for {fu.label}{when}; to correct it, send it again as an "
        "amendment with a reason."
    )


def _amend(
    *, actor: Actor | None, response: QuestionnaireResponse, values: dict[str, Any], reason: str, fu: FollowUp
) -> QuestionnaireResponse:
    before = {name: getattr(response, name) for name in values}
    for name, value in values.items():
        setattr(response, name, value)
    response.version += 1
    response.amended_at = timezone.now()
    response.save()
    audit_record(
        actor=actor,
        site=fu.site if actor is None else None,
        action="outcome.response_amend",
        object_type="questionnaire_response",
        object_id=response.pk,
        changes=changes_between(before, values),
        reason=reason,
        patient_id=fu.patient_id,
        episode_id=fu.episode_id,
    )
    _completion_update(actor=actor, fu=fu)
    return response


@transaction.atomic
def response_record(
    *,
    actor: Actor,
    follow_up: FollowUp | Any,
    instrument: str,
    answers: Mapping[str, object],
    side: str | None = None,
    pinch_type: str = "",
    device: str = "",
    amendment_reason: str = "",
    field: str = "answers",
    expected_version: int | None = None,
    answered_at: datetime | None = None,
) -> QuestionnaireResponse:
    """Store staff-entered answers (or grip / pinch trials) for one instrument at a follow-up, scored.

    A second submission of the same instrument is refused unless it comes with `amendment_reason`, which
    amends the stored response (the audit keeps the previous answers and scores). `answered_at`: when the
    answers were given, if earlier than now (a FHIR QuestionnaireResponse's `authored`); never in the future.
    """
    actor.require(Permission.FOLLOW_UP_RECORD)
    if answered_at is not None and answered_at > timezone.now():
        raise InvalidInput([("authored", "cannot be in the future")])
    fu = _follow_up_locked(actor=actor, follow_up=follow_up)
    return _store(
        actor=actor,
        fu=fu,
        instrument=instrument,
        answers=answers,
        source="staff",
        side=side,
        variant=pinch_type,
        device=device,
        amendment_reason=amendment_reason,
        field=field,
        expected_version=expected_version,
        answered_at=answered_at,
    )


@transaction.atomic
def baseline_response_record(
    *,
    actor: Actor,
    episode: Episode | Any,
    instrument: str,
    answers: Mapping[str, object],
    side: str | None = None,
    pinch_type: str = "",
    amendment_reason: str = "",
    expected_version: int | None = None,
) -> QuestionnaireResponse:
    """Store a baseline answer set for the episode's current cycle (before the injection)."""
    actor.require(Permission.FOLLOW_UP_RECORD)
    found = _episode_of_site(actor=actor, episode=episode)
    baseline = _baseline_ensure(actor=actor, episode=found)
    fu = _follow_up_locked(actor=actor, follow_up=baseline)
    return _store(
        actor=actor,
        fu=fu,
        instrument=instrument,
        answers=answers,
        source="staff",
        side=side,
        variant=pinch_type,
        amendment_reason=amendment_reason,
        expected_version=expected_version,
    )


@transaction.atomic
def response_amend(
    *,
    actor: Actor,
    response: QuestionnaireResponse | Any,
    answers: Mapping[str, object],
    reason: str,
    expected_version: int | None = None,
) -> QuestionnaireResponse:
    """Correct the answers of a stored response with a reason; it is scored again with the current rules."""
    actor.require(Permission.FOLLOW_UP_RECORD)
    pk = response.pk if isinstance(response, QuestionnaireResponse) else response
    try:
        current = QuestionnaireResponse.objects.get(pk=pk, site=actor.site)
    except (QuestionnaireResponse.DoesNotExist, ValueError) as exc:
        raise NotFound("response") from exc
    if not reason.strip():
        raise InvalidInput([("reason", "a correction needs a reason")])
    fu = _follow_up_locked(actor=actor, follow_up=current.follow_up_id)
    return _store(
        actor=actor,
        fu=fu,
        instrument=current.instrument,
        answers=answers,
        source=current.source,
        side=current.side or None,
        variant=current.variant,
        device=current.device,
        amendment_reason=reason,
        expected_version=expected_version,
    )


def _completion_update(*, actor: Actor | None, fu: FollowUp) -> None:
    """Mark the follow-up completed once every instrument has a scorable response (grip and pinch: of the
    treated hand); an amendment that makes one unscorable reopens an automatic completion."""
    if fu.completion == "staff":
        return
    scored = set(QuestionnaireResponse.objects.filter(follow_up=fu, scorable=True).values_list("instrument", "side"))
    have = {code for code, side in scored if code not in MEASURED_BY_STAFF or side == fu.episode.side}
    complete = all(code in have for code in fu.instruments)
    if complete and fu.completed_at is None:
        fu.completed_at, fu.completion = timezone.now(), "auto"
        fu.version += 1
        fu.save()
        _audit_follow_up(actor, fu, "follow_up.complete", {"status": ["open", "completed"], "completion": ["", "auto"]})
        links_close(actor=actor, follow_up=fu)
    elif not complete and fu.completion == "auto":
        fu.completed_at, fu.completion = None, ""
        fu.version += 1
        fu.save()
        _audit_follow_up(actor, fu, "follow_up.reopen", {"status": ["completed", "open"]})


@transaction.atomic
def followup_mark_done(*, actor: Actor, follow_up: FollowUp | Any, reason: str) -> FollowUp:
    """Staff close a follow-up as done although not every instrument is scored (e.g. the patient declined)."""
    actor.require(Permission.FOLLOW_UP_RECORD)
    fu = _follow_up_locked(actor=actor, follow_up=follow_up)
    if not reason.strip():
        raise InvalidInput([("reason", "say why the follow-up is done without every instrument")])
    if fu.completed_at is not None:
        raise GuardRefused([f"The {fu.label} follow-up is already completed."])
    if fu.superseded_at is not None:
        raise GuardRefused([f"The {fu.label} follow-up is no longer needed: a further treatment cycle started."])
    fu.completed_at, fu.completion, fu.completion_note = timezone.now(), "staff", reason.strip()
    fu.version += 1
    fu.save()
    _audit_follow_up(
        actor,
        fu,
        "follow_up.complete",
        {"status": ["open", "completed"], "completion": ["", "staff"]},
        reason=reason.strip(),
    )
    links_close(actor=actor, follow_up=fu)
    return fu


def followups_supersede(*, actor: Actor, episode: Episode, cycle: int) -> int:
    """When a further cycle starts, the earlier cycle's time points that are not yet due are no longer needed.

    Runs inside the caller's transaction (aftercare's repeat-cycle step). Returns how many were superseded.
    """
    today = episode.site.today()
    count = 0
    open_later = FollowUp.objects.filter(
        episode=episode, cycle=cycle, completed_at__isnull=True, superseded_at__isnull=True, due_from__gt=today
    ).exclude(timepoint=BASELINE)
    for fu in open_later.select_related("site"):
        fu.superseded_at = timezone.now()
        fu.version += 1
        fu.save()
        _audit_follow_up(actor, fu, "follow_up.supersede", {"status": ["upcoming", "superseded"]})
        links_close(actor=actor, follow_up=fu)
        count += 1
    return count


def links_close(*, actor: Actor | None, follow_up: FollowUp, except_link: QuestionnaireLink | None = None) -> None:
    """Close the follow-up's open patient links: once it is answered, no link to it works any more."""
    now = timezone.now()
    open_links = QuestionnaireLink.objects.filter(
        follow_up=follow_up, closed_at__isnull=True, submitted_at__isnull=True
    )
    for link in open_links:
        if except_link is not None and link.pk == except_link.pk:
            continue
        link.closed_at = now
        link.version += 1
        link.save()
        audit_record(
            actor=actor,
            site=follow_up.site if actor is None else None,
            action="questionnaire_link.close",
            object_type="questionnaire_link",
            object_id=link.pk,
            changes={"closed_at": [None, now]},
            patient_id=follow_up.patient_id,
            episode_id=follow_up.episode_id,
        )
