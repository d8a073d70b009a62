"""The day-of preparation checklist (the `preparation` step): the episode becomes `prepared` when every item holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.consent.selectors import consent_refusals, current_consent
from handregen.errors import GuardRefused, InvalidInput
from handregen.pathway.models import Episode
from handregen.pathway.services import episode_lock, episode_move, refusals_audited, step_refusals
from handregen.preparation.models import PreparationChecklist
from handregen.preparation.selectors import instructions_of

CONSENT_ITEM = "consent_valid"


@refusals_audited("preparation")
def preparation_complete(
    *, actor: Actor, episode: Episode | Any, checklist: Mapping[str, bool], notes: str = ""
) -> PreparationChecklist:
    """Record the nurse's day-of checklist for the current cycle; the episode becomes `prepared`.

    Every item of the protocol's checklist must be confirmed true (an item left out is not confirmed). The
    consent item cannot be confirmed while the consent is not valid, and a valid consent is needed anyway.
    Nothing but the refusal is recorded when an item does not hold.
    """
    actor.require(Permission.PREPARATION_COMPLETE)
    locked = episode_lock(actor=actor, episode=episode)
    items = locked.protocol.definition.checklist
    known = {code for code, _ in items}
    errors = [
        (f"checklist.{code}", "is not an item of this protocol's checklist") for code in checklist if code not in known
    ]
    errors += [(f"checklist.{c}", "answer true or false") for c, v in checklist.items() if not isinstance(v, bool)]
    if errors:
        raise InvalidInput(errors)

    reasons = step_refusals(actor=actor, episode=locked, action="preparation")
    for code, label in items:
        if code != CONSENT_ITEM and checklist.get(code) is not True:
            reasons.append(f"Checklist item {code} is not confirmed: {label}.")
    # Whether a valid consent is on file is what the record says, not a tick: derived, and a contradicting
    # answer (either way) is refused.
    consent_reasons = consent_refusals(episode=locked)
    if consent_reasons:
        if checklist.get(CONSENT_ITEM) is True:
            reasons.append(f"{CONSENT_ITEM} cannot be confirmed: the consent is not valid.")
        reasons += consent_reasons
    elif checklist.get(CONSENT_ITEM) is False:
        reasons.append(f"Contradiction: {CONSENT_ITEM} is answered no, but a valid consent is on file.")
    if reasons:
        raise GuardRefused(reasons)

    instructions = instructions_of(episode=locked)
    record = PreparationChecklist.objects.create(
        site=actor.site,
        episode=locked,
        patient=locked.patient,
        cycle=locked.cycle,
        items={code: {"value": True, "label": label} for code, label in items},
        instructions=instructions.as_dict(),
        consent=current_consent(episode=locked),
        notes=str(notes or "").strip(),
        completed_by=actor.user,
        completed_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="preparation.complete",
        object_type="preparation_checklist",
        object_id=record.pk,
        changes={
            "cycle": [None, record.cycle],
            "checklist": [None, {code: True for code, _ in items}],
            "medication_holds": [None, [h.medication for h in instructions.holds]],
        },
        patient_id=locked.patient_id,
        episode_id=locked.pk,
    )
    episode_move(
        actor=actor,
        episode=locked,
        action="preparation",
        details={"preparation_checklist": [None, str(record.pk)], "cycle": [None, record.cycle]},
    )
    return record
