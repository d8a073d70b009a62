"""The care pathway as one explicit state machine (pure: no Django).

An episode moves only by the actions below; each names the stages it may start from, the stages it may
lead to and the permission it needs. Services in the owning apps add their own guards on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handregen.accounts.roles import Permission


class Stage(StrEnum):
    REFERRED = "referred"
    CONSULTED = "consulted"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    DEFERRED = "deferred"
    CONSENTED = "consented"
    PREPARED = "prepared"
    HARVESTED = "harvested"
    RELEASED = "released"
    INJECTED = "injected"
    FOLLOW_UP = "follow_up"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


CLOSED_STAGES = frozenset({Stage.INELIGIBLE, Stage.COMPLETED, Stage.WITHDRAWN})
OPEN_STAGES = frozenset(set(Stage) - CLOSED_STAGES)

STAGE_LABELS: dict[Stage, str] = {
    Stage.REFERRED: "Referred — to see in consultation",
    Stage.CONSULTED: "Consulted — candidacy to decide",
    Stage.ELIGIBLE: "Eligible — consent to take",
    Stage.INELIGIBLE: "Not eligible",
    Stage.DEFERRED: "Deferred — to re-evaluate",
    Stage.CONSENTED: "Consented — to prepare",
    Stage.PREPARED: "Prepared — harvest due",
    Stage.HARVESTED: "Harvested — product in the lab",
    Stage.RELEASED: "Product released — injection due",
    Stage.INJECTED: "Injected — in post-procedure care",
    Stage.FOLLOW_UP: "In follow-up",
    Stage.COMPLETED: "Completed",
    Stage.WITHDRAWN: "Withdrawn",
}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[Stage]
    targets: frozenset[Stage]
    permission: Permission
    label: str


def _t(
    action: str, sources: set[Stage] | frozenset[Stage], targets: set[Stage], permission: Permission, label: str
) -> Transition:
    return Transition(action, frozenset(sources), frozenset(targets), permission, label)


S = Stage
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t(
            "consultation",
            {S.REFERRED, S.DEFERRED},
            {S.CONSULTED},
            Permission.CONSULTATION_RECORD,
            "Record the consultation",
        ),
        _t(
            "candidacy",
            {S.CONSULTED, S.DEFERRED},
            {S.ELIGIBLE, S.INELIGIBLE, S.DEFERRED},
            Permission.CANDIDACY_DECIDE,
            "Decide candidacy",
        ),
        _t("consent", {S.ELIGIBLE}, {S.CONSENTED}, Permission.CONSENT_RECORD, "Record consent"),
        _t(
            "preparation",
            {S.CONSENTED},
            {S.PREPARED},
            Permission.PREPARATION_COMPLETE,
            "Complete the day-of preparation checklist",
        ),
        _t("harvest", {S.PREPARED}, {S.HARVESTED}, Permission.HARVEST_RECORD, "Record the harvest"),
        _t("release", {S.HARVESTED}, {S.RELEASED}, Permission.PRODUCT_RELEASE, "Release the product"),
        _t(
            "injection",
            {S.RELEASED},
            {S.INJECTED},
            Permission.INJECTION_RECORD,
            "Verify at the bedside and record the injection",
        ),
        _t(
            "post_care",
            {S.INJECTED},
            {S.FOLLOW_UP},
            Permission.POST_CARE_RECORD,
            "Record post-procedure care and discharge",
        ),
        _t("complete", {S.FOLLOW_UP}, {S.COMPLETED}, Permission.EPISODE_COMPLETE, "Close the episode"),
        # A further treatment cycle re-enters before preparation: consent stays, preparation is done anew.
        _t("repeat_cycle", {S.FOLLOW_UP}, {S.CONSENTED}, Permission.CYCLE_REPEAT, "Start a further treatment cycle"),
        _t("withdraw", OPEN_STAGES, {S.WITHDRAWN}, Permission.EPISODE_WITHDRAW, "Withdraw from the pathway"),
    )
}


def transition_refusals(stage: str, action: str, target: str | None = None) -> list[str]:
    """Reasons, in plain words, why `action` cannot move an episode at `stage` (to `target`)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        return [f"'{action}' is not a step of the pathway."]
    current = Stage(stage)
    reasons = []
    if current not in transition.sources:
        if current in CLOSED_STAGES:
            reasons.append(f"The episode is closed ({current.value}); no further step is possible.")
        else:
            allowed = ", ".join(sorted(s.value for s in transition.sources))
            reasons.append(f"'{transition.label}' needs the episode at {allowed}; it is at {current.value}.")
    if target is not None and target not in {t.value for t in transition.targets}:
        reasons.append(f"'{transition.label}' cannot lead to {target}.")
    return reasons


def actions_from(stage: str) -> list[str]:
    """Actions whose source stages include `stage`, in pathway order."""
    current = Stage(stage)
    return [name for name, t in TRANSITIONS.items() if current in t.sources]
