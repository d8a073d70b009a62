"""Opening episodes and moving them through the pathway: the only code that changes a stage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.refusals import Subject, refusals_audited_as
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.errors import GuardRefused, InvalidInput, NotFound
from handregen.pathway.models import INDICATIONS, SIDES, Episode, Protocol
from handregen.pathway.protocol import parse_protocol, shipped_protocol_documents
from handregen.pathway.stages import TRANSITIONS, Stage, transition_refusals
from handregen.patients.models import Patient

P = ParamSpec("P")
R = TypeVar("R")
_INDICATIONS = {v for v, _ in INDICATIONS}
_SIDES = {v for v, _ in SIDES}
JOINTS = frozenset(
    {"CMC1", "MCP1", "IP1", "STT", "RADIOCARPAL"} | {f"{j}{n}" for j in ("MCP", "PIP", "DIP") for n in range(2, 6)}
)


def protocol_sync_shipped() -> list[Protocol]:
    """Load every shipped protocol version that the database lacks; safe to run again."""
    loaded = []
    for document in shipped_protocol_documents():
        definition = parse_protocol(document)
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        existing = Protocol.objects.filter(code=definition.code, version=definition.version).first()
        if existing is not None:
            if existing.digest != digest:
                raise GuardRefused(
                    [
                        f"Protocol {definition.code} v{definition.version} changed after it was loaded; "
                        "give the edited file a new version."
                    ]
                )
            loaded.append(existing)
            continue
        with transaction.atomic():
            Protocol.objects.filter(code=definition.code, is_current=True).update(is_current=False)
            protocol = Protocol.objects.create(
                code=definition.code,
                version=definition.version,
                title=definition.title,
                document=document,
                digest=digest,
            )
            audit_record(
                actor=None,
                action="protocol.load",
                object_type="protocol",
                object_id=protocol.pk,
                changes={"code": [None, protocol.code], "version": [None, protocol.version], "digest": [None, digest]},
            )
        loaded.append(protocol)
    return loaded


def protocol_current(code: str) -> Protocol:
    protocol = Protocol.objects.filter(code=code, is_current=True).first()
    if protocol is None:
        raise NotFound(f"protocol {code}")
    return protocol


def _episode_subject(kwargs: Mapping[str, Any], actor: Actor) -> Subject:
    episode = kwargs.get("episode")
    pk = getattr(episode, "pk", None)
    return Subject("episode", pk or "", getattr(episode, "patient_id", None), pk)


def refusals_audited(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a pathway service (keyword arguments `actor` and `episode`) in its own transaction; when a guard
    refuses, roll back and audit the refusal as `episode.<action>`."""
    return refusals_audited_as(f"episode.{action}", _episode_subject)


def episode_lock(*, actor: Actor, episode: Episode | Any) -> Episode:
    """The episode row locked for this transaction, scoped to the actor's site."""
    pk = episode.pk if isinstance(episode, Episode) else episode
    try:
        return Episode.objects.select_for_update().select_related("protocol", "patient").get(pk=pk, site=actor.site)
    except (Episode.DoesNotExist, ValueError) as exc:
        raise NotFound("episode") from exc


def step_refusals(*, actor: Actor, episode: Episode, action: str, to: str | None = None) -> list[str]:
    """What stands in the way of `action` before any record is written: stage order and the actor's role."""
    reasons = transition_refusals(episode.stage, action, to)
    transition = TRANSITIONS.get(action)
    if transition is not None and not actor.can(transition.permission):
        reasons.append(f"A {actor.role.replace('_', ' ')} may not {transition.label.lower()}.")
    return reasons


def episode_move(
    *,
    actor: Actor,
    episode: Episode,
    action: str,
    to: str | None = None,
    guard_reasons: Iterable[str] = (),
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> Episode:
    """Move a locked episode by `action` when no guard refuses; audit the move in the same transaction.

    Callers (the services of the apps that own each step) pass their own failed guards as `guard_reasons`.
    """
    reasons = step_refusals(actor=actor, episode=episode, action=action, to=to) + list(guard_reasons)
    if reasons:
        raise GuardRefused(reasons)
    target = to or next(iter(TRANSITIONS[action].targets)).value
    before = episode.stage
    episode.stage = target
    episode.stage_changed_at = timezone.now()
    episode.version += 1
    episode.save(update_fields=["stage", "stage_changed_at", "version", "cycle", "responsible_physician"])
    audit_record(
        actor=actor,
        action=f"episode.{action}",
        object_type="episode",
        object_id=episode.pk,
        changes={"stage": [before, target]} | (details or {}),
        reason=reason,
        patient_id=episode.patient_id,
        episode_id=episode.pk,
    )
    return episode


@transaction.atomic
def episode_open(
    *,
    actor: Actor,
    patient: Patient | Any,
    indication: str,
    side: str,
    target_joints: list[str],
    protocol_code: str | None = None,
) -> Episode:
    """Open an episode at `referred` for a patient of the actor's site."""
    actor.require(Permission.EPISODE_OPEN)
    patient_pk = patient.pk if isinstance(patient, Patient) else patient
    try:
        patient_row = Patient.objects.get(pk=patient_pk, site=actor.site)
    except (Patient.DoesNotExist, ValueError) as exc:
        raise NotFound("patient") from exc
    errors: list[tuple[str, str]] = []
    if indication not in _INDICATIONS:
        errors.append(("indication", f"must be one of {', '.join(sorted(_INDICATIONS))}"))
    if side not in _SIDES:
        errors.append(("side", "must be left or right"))
    joints = [str(j).upper() for j in target_joints]
    if not joints:
        errors.append(("target_joints", "name at least one joint, e.g. CMC1"))
    bad = [j for j in joints if j not in JOINTS]
    if bad:
        errors.append(("target_joints", f"unknown joint(s) {', '.join(bad)}; use e.g. CMC1, PIP2, DIP3, RADIOCARPAL"))
    code = protocol_code or actor.site.default_protocol_code
    protocol = Protocol.objects.filter(code=code, is_current=True).first()
    if protocol is None:
        errors.append(("protocol", f"unknown protocol {code!r}"))
    elif indication in _INDICATIONS and indication not in protocol.definition.indications:
        errors.append(("indication", f"protocol {code} does not cover {indication}"))
    if errors:
        raise InvalidInput(errors)
    assert protocol is not None
    episode = Episode.objects.create(
        site=actor.site,
        patient=patient_row,
        protocol=protocol,
        indication=indication,
        side=side,
        target_joints=joints,
        stage=Stage.REFERRED,
    )
    audit_record(
        actor=actor,
        action="episode.open",
        object_type="episode",
        object_id=episode.pk,
        changes={
            "stage": [None, Stage.REFERRED.value],
            "indication": [None, indication],
            "side": [None, side],
            "target_joints": [None, joints],
            "protocol": [None, f"{protocol.code} v{protocol.version}"],
        },
        patient_id=patient_row.pk,
        episode_id=episode.pk,
    )
    return episode


@refusals_audited("withdraw")
def episode_withdraw(*, actor: Actor, episode: Episode, reason: str) -> Episode:
    """Withdraw an open episode; the reason is required and kept."""
    locked = episode_lock(actor=actor, episode=episode)
    if not reason.strip():
        raise InvalidInput([("reason", "say why the episode is withdrawn")])
    return episode_move(actor=actor, episode=locked, action="withdraw", reason=reason.strip())
