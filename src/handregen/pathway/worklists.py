"""Worklists: which episodes wait for which kind of work, as data."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.pathway.models import Episode
from handregen.pathway.selectors import episodes_visible_to
from handregen.pathway.stages import TRANSITIONS, Stage, actions_from


@dataclass(frozen=True)
class Worklist:
    code: str
    title: str
    stages: tuple[Stage, ...]
    # The worklist is shown first to roles that do this work; everyone who may see patients can open it.
    for_permission: Permission


WORKLISTS: tuple[Worklist, ...] = (
    Worklist("to-evaluate", "To see in consultation", (Stage.REFERRED, Stage.DEFERRED), Permission.CONSULTATION_RECORD),
    Worklist("to-decide", "Candidacy to decide", (Stage.CONSULTED,), Permission.CANDIDACY_DECIDE),
    Worklist("to-consent", "Consent to take", (Stage.ELIGIBLE,), Permission.CONSENT_RECORD),
    Worklist("to-prepare", "To prepare", (Stage.CONSENTED,), Permission.PREPARATION_COMPLETE),
    Worklist("to-harvest", "Harvest due", (Stage.PREPARED,), Permission.HARVEST_RECORD),
    Worklist("in-lab", "In the lab", (Stage.HARVESTED,), Permission.PRODUCT_PROCESS),
    Worklist("to-inject", "Product released, injection due", (Stage.RELEASED,), Permission.INJECTION_RECORD),
    Worklist("post-care", "In post-procedure care", (Stage.INJECTED,), Permission.POST_CARE_RECORD),
    Worklist("follow-up", "In follow-up", (Stage.FOLLOW_UP,), Permission.FOLLOW_UP_RECORD),
)
WORKLISTS_BY_CODE = {w.code: w for w in WORKLISTS}


def next_step(stage: str) -> str:
    """What happens next for an episode at `stage`, in words (the first pathway step other than withdrawal)."""
    for action in actions_from(stage):
        if action != "withdraw":
            return TRANSITIONS[action].label
    return "Nothing: the episode is closed"


WORKLIST_COLUMNS = (
    "id",
    "site_id",
    "stage",
    "stage_changed_at",
    "indication",
    "side",
    "patient__id",
    "patient__mrn",
    "patient__family_name",
    "patient__given_name",
)


def worklist_episodes(*, actor: Actor, worklist: Worklist) -> QuerySet[Episode]:
    """The site's episodes on `worklist`, longest waiting first."""
    # A worklist row shows a few columns: read only those (not the protocol, a large JSON document, nor the
    # rest of the episode and patient rows); the query-count tests fail if a template reaches for another one.
    return (
        episodes_visible_to(actor)
        .select_related(None)
        .select_related("patient")
        .only(*WORKLIST_COLUMNS)
        .filter(stage__in=[s.value for s in worklist.stages])
        .order_by("stage_changed_at")
    )


def worklist_counts(*, actor: Actor) -> dict[str, int]:
    """How many episodes wait on each worklist (one query)."""
    from django.db.models import Count

    per_stage = dict(
        episodes_visible_to(actor).order_by().values_list("stage").annotate(n=Count("id")).values_list("stage", "n")
    )
    return {w.code: sum(per_stage.get(s.value, 0) for s in w.stages) for w in WORKLISTS}


def worklists_for(actor: Actor) -> list[Worklist]:
    """Worklists in pathway order, the actor's own kind of work first."""
    own = [w for w in WORKLISTS if actor.can(w.for_permission)]
    return own + [w for w in WORKLISTS if w not in own]
