"""Post-procedure care and discharge (the `post_care` step), and a further treatment cycle (`repeat_cycle`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.aftercare.models import PostCareRecord
from handregen.aftercare.monitoring import observation_problems
from handregen.aftercare.selectors import aftercare_instructions
from handregen.audit.services import audit_record
from handregen.errors import GuardRefused, InvalidInput
from handregen.outcomes.services import followups_schedule, followups_supersede
from handregen.pathway.models import Episode
from handregen.pathway.services import episode_lock, episode_move, refusals_audited, step_refusals
from handregen.procedures.selectors import last_injection
from handregen.timeorder import POST_CARE_AFTER_INJECTION, future_message, in_future, order_refusal


def _aware(value: datetime, episode: Episode) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value, episode.site.zone)


def _observations(monitoring: Sequence[Mapping[str, Any]], episode: Episode) -> list[dict[str, Any]]:
    problems: list[tuple[str, str]] = []
    cleaned: list[dict[str, Any]] = []
    for index, raw in enumerate(monitoring):
        observation = {k: v for k, v in dict(raw).items() if v not in (None, "")}
        problems += observation_problems(index, observation)
        if isinstance(observation.get("at"), datetime):
            observation["at"] = _aware(observation["at"], episode)
        cleaned.append(observation)
    if problems:
        raise InvalidInput(problems)
    return sorted(cleaned, key=lambda o: o["at"])


def _after_injection(
    injected_at: datetime, discharged_at: datetime, observations: Sequence[Mapping[str, Any]], episode: Episode
) -> list[tuple[str, str]]:
    """The time-order rule 'post-care after injection' for the discharge and each observation."""
    zone = episode.site.zone

    def shown(moment: datetime) -> str:
        return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M %Z")

    errors: list[tuple[str, str]] = []
    refusal = order_refusal(
        POST_CARE_AFTER_INJECTION, earlier_at=injected_at, later_at=discharged_at, shown=shown, what="the discharge"
    )
    if refusal:
        errors.append(("discharged_at", refusal))
    for i, observation in enumerate(observations):
        refusal = order_refusal(
            POST_CARE_AFTER_INJECTION,
            earlier_at=injected_at,
            later_at=observation["at"],
            shown=shown,
            what=f"monitoring observation {i + 1}",
        )
        if refusal:
            errors.append((f"monitoring.{i}.at", refusal))
    return errors


@refusals_audited("post_care")
def post_care_record(
    *,
    actor: Actor,
    episode: Episode | Any,
    monitoring: Sequence[Mapping[str, Any]],
    discharged_at: datetime,
    instructions_given: bool,
) -> PostCareRecord:
    """Record monitoring after the injection and the discharge; the episode enters follow-up and the
    protocol's time points are scheduled from the injection date (site's calendar)."""
    locked = episode_lock(actor=actor, episode=episode)
    observations = _observations(monitoring, locked)
    discharged_at = _aware(discharged_at, locked)
    reasons: list[str] = []
    injection = last_injection(episode=locked)
    if injection is None or injection.cycle != locked.cycle:
        reasons.append("No injection is recorded for this treatment cycle.")
        injection = None
    if not observations:
        reasons.append(
            "Record at least one monitoring observation (pain, vital signs, injection and harvest "
            "sites) before discharge."
        )
    if not instructions_given:
        reasons.append(
            "Give the patient the after-care instructions (splint, activity limits, when to call) before discharge."
        )
    errors: list[tuple[str, str]] = []
    # A clock a few minutes fast on the nurse's device should not refuse a discharge recorded "now".
    if in_future(discharged_at, timezone.now()):
        errors.append(("discharged_at", future_message("the discharge")))
    if injection is not None:
        errors += _after_injection(injection.performed_at, discharged_at, observations, locked)
    errors += [
        (f"monitoring.{i}.at", "is after the discharge") for i, o in enumerate(observations) if o["at"] > discharged_at
    ]
    if errors:
        raise InvalidInput(errors)
    if reasons:
        # Let the pathway add its own reasons (stage, role) to ours before anything is written.
        episode_move(actor=actor, episode=locked, action="post_care", guard_reasons=reasons)
    assert injection is not None
    stored = [o | {"at": o["at"].isoformat()} for o in observations]
    record = PostCareRecord.objects.create(
        site=locked.site,
        patient=locked.patient,
        episode=locked,
        cycle=locked.cycle,
        injection_id=injection.pk,
        injected_at=injection.performed_at,
        monitoring=stored,
        discharged_at=discharged_at,
        instructions_given=True,
        instructions=aftercare_instructions(locked),
        recorded_by=actor.user,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="post_care.record",
        object_type="post_care_record",
        object_id=record.pk,
        changes={
            "monitoring": [None, stored],
            "discharged_at": [None, discharged_at],
            "instructions_given": [None, True],
            "cycle": [None, locked.cycle],
        },
        patient_id=locked.patient_id,
        episode_id=locked.pk,
    )
    injected_on = timezone.localtime(injection.performed_at, locked.site.zone).date()
    episode_move(actor=actor, episode=locked, action="post_care", details={"injected_on": [None, injected_on]})
    followups_schedule(actor=actor, episode=locked, injected_on=injected_on)
    return record


@refusals_audited("repeat_cycle")
def episode_repeat_cycle(*, actor: Actor, episode: Episode | Any, reason: str) -> Episode:
    """Start a further treatment cycle: the episode returns to `consented` with the next cycle number.

    Time points of the finished cycle that are not yet due are no longer needed (superseded); those due
    now or already missed stay as they are. The new cycle gets its own baseline and schedule.
    """
    locked = episode_lock(actor=actor, episode=episode)
    if not reason.strip():
        raise InvalidInput([("reason", "say why a further treatment cycle is started")])
    refusals = step_refusals(actor=actor, episode=locked, action="repeat_cycle")
    if refusals:
        raise GuardRefused(refusals)
    previous = locked.cycle
    superseded = followups_supersede(actor=actor, episode=locked, cycle=previous)
    locked.cycle = previous + 1
    return episode_move(
        actor=actor,
        episode=locked,
        action="repeat_cycle",
        reason=reason.strip(),
        details={"cycle": [previous, locked.cycle], "follow_ups_superseded": [None, superseded]},
    )
