"""Writing the audit trail and the access log. Called by every service, inside its transaction."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.audit.chain import GENESIS, event_digest
from handregen.audit.models import AccessEvent, AuditEvent
from handregen.records import audited_bulk_insert


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def event_content(event: AuditEvent) -> dict[str, Any]:
    """The fields the chain hash covers (everything but seq and the hashes)."""
    return {
        "chain": event.chain,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "actor_role": event.actor_role,
        "site_id": str(event.site_id) if event.site_id else None,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient_id": str(event.patient_id) if event.patient_id else None,
        "episode_id": str(event.episode_id) if event.episode_id else None,
        "changes": event.changes,
        "reason": event.reason,
    }


def _lock_chain(chain: str) -> None:
    # SQLite serialises writers already (BEGIN IMMEDIATE); PostgreSQL needs a lock per chain so that two
    # concurrent writers never link to the same previous event.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(chain.encode())])


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for the fields whose value differs."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: Any,
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    outcome: str = "done",
    patient_id: Any = None,
    episode_id: Any = None,
    site: Any = None,
) -> AuditEvent:
    """Append one event to the site's chain; must run inside the transaction of the change it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    site = site if site is not None else (actor.site if actor else None)
    chain = f"site:{site.pk}" if site is not None else "global"
    _lock_chain(chain)
    last = AuditEvent.objects.filter(chain=chain).order_by("-seq").values_list("hash", flat=True).first()
    event = AuditEvent(
        chain=chain,
        occurred_at=timezone.now(),
        actor=actor.user if actor else None,
        actor_label=actor.label if actor else "system",
        actor_role=actor.role if actor else "",
        site=site,
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=str(object_id),
        patient_id=patient_id,
        episode_id=episode_id,
        changes=_jsonable(dict(changes or {})),
        reason=reason,
        prev_hash=last or GENESIS,
    )
    event.hash = event_digest(event_content(event), event.prev_hash)
    event.save()
    return event


def audit_refusal(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    reasons: list[str],
    patient_id: Any = None,
    episode_id: Any = None,
    attempted: Mapping[str, Any] | None = None,
) -> None:
    """Record a refused attempt in its own transaction, after the refused change was rolled back."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            changes={"attempted": dict(attempted or {})},
            reason="; ".join(reasons),
            outcome="refused",
            patient_id=patient_id,
            episode_id=episode_id,
        )


def access_record(*, actor: Actor, patient_id: Any, category: str, channel: str) -> None:
    """Log that `actor` read `category` data of a patient (never the values read)."""
    AccessEvent.objects.create(
        actor=actor.user, site=actor.site, patient_id=patient_id, category=category, channel=channel
    )


def audited_bulk_create(
    *,
    actor: Actor | None,
    site: Any,
    action: str,
    objects: Sequence[Any],
    describe: Callable[[Any], Mapping[str, Any]],
    batch_size: int = 2000,
) -> list[Any]:
    """Insert many rows of one model and one audit event per row, chained as if written one by one.

    `describe(obj)` returns the audit fields of a row: `object_type`, `object_id`, `changes`, and optionally
    `patient_id`, `episode_id`. Used by imports and the synthetic registry, where one service call per row
    would be too slow; the audit trail is the same.
    """
    if not objects:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("audited_bulk_create must run inside a transaction")
    model = type(objects[0])
    chain = f"site:{site.pk}" if site is not None else "global"
    _lock_chain(chain)
    prev = AuditEvent.objects.filter(chain=chain).order_by("-seq").values_list("hash", flat=True).first() or GENESIS
    now = timezone.now()
    events: list[AuditEvent] = []
    for obj in objects:
        described = describe(obj)
        event = AuditEvent(
            chain=chain,
            occurred_at=now,
            actor=actor.user if actor else None,
            actor_label=actor.label if actor else "system",
            actor_role=actor.role if actor else "",
            site=site,
            action=action,
            outcome="done",
            object_type=described["object_type"],
            object_id=str(described["object_id"]),
            patient_id=described.get("patient_id"),
            episode_id=described.get("episode_id"),
            changes=_jsonable(dict(described.get("changes", {}))),
            reason=described.get("reason", ""),
            prev_hash=prev,
        )
        event.hash = event_digest(event_content(event), prev)
        prev = event.hash
        events.append(event)
    with audited_bulk_insert():
        created = model.objects.bulk_create(objects, batch_size=batch_size)
        AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return list(created)
