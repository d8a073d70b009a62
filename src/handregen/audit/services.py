"""Writing the audit trail and the access log. Called by every service, inside its transaction."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, connections, models, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.audit.anchor import anchor_after_commit
from handregen.audit.chain import GENESIS, event_digest, sealer
from handregen.audit.keys import key_ring
from handregen.audit.models import AccessEvent, AuditEvent
from handregen.records import audited_bulk_insert

_PLAIN = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    kind = type(value)  # the common cases first: bulk writes call this for every value of every row
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {str(k): _jsonable(v) for k, v in value.items()}
    if kind is list:
        return [_jsonable(v) for v in value]
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
    """The fields the chain hash covers (everything but seq and the hashes; the key's id once keyed)."""
    content = {
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
    if event.key_id:
        content["key_id"] = event.key_id
    return content


def access_content(event: AccessEvent) -> dict[str, Any]:
    """The fields a read's chain hash covers."""
    return {
        "chain": event.chain,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "site_id": str(event.site_id),
        "patient_id": str(event.patient_id),
        "category": event.category,
        "channel": event.channel,
        "key_id": event.key_id,
    }


def reads_chain(site: Any) -> str:
    return f"reads:site:{site.pk}"


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
    ring = key_ring()
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
        key_id=ring.current_id,
    )
    event.hash = event_digest(event_content(event), event.prev_hash, ring.current)
    event.save()
    anchor_after_commit(chain, event.hash)
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


def access_record(*, actor: Actor, patient_id: Any, category: str, channel: str, site: Any = None) -> None:
    """Log that `actor` read `category` data of a patient (never the values read), on the site's read chain.

    `site` is the patient's site when it is not the actor's (a break-glass read), so that site sees the read.
    """
    site = site or actor.site
    event = AccessEvent(
        actor=actor.user,
        site=site,
        patient_id=patient_id,
        category=category,
        channel=channel,
        occurred_at=timezone.now(),
    )
    with transaction.atomic():
        _seal_reads([event], site)
        event.save()


def _seal_reads(events: Sequence[AccessEvent], site: Any) -> None:
    """Chain and seal new reads of `site` (all of them reads of that site), in order, after the chain's newest;
    runs inside the writing transaction."""
    chain = reads_chain(site)
    ring = key_ring()
    seal = sealer(ring.current)
    _lock_chain(chain)
    prev = AccessEvent.objects.filter(chain=chain).order_by("-id").values_list("hash", flat=True).first() or GENESIS
    for event in events:
        event.chain, event.prev_hash, event.key_id = chain, prev, ring.current_id
        event.hash = prev = seal(access_content(event), prev)
    anchor_after_commit(chain, prev)


def audited_bulk_create(
    *,
    actor: Actor | None,
    site: Any,
    action: str,
    objects: Sequence[Any],
    describe: Callable[[Any], Mapping[str, Any]],
    batch_size: int = 2000,
    keep_dates: bool = False,
) -> list[Any]:
    """Insert many rows of one model and one audit event per row, chained as if written one by one.

    `describe(obj)` returns the audit fields of a row: `object_type`, `object_id`, `changes`, and optionally
    `patient_id`, `episode_id`, `reason` and `action` (a row's own action, e.g. `episode.withdraw`, instead of
    `action`). Used by imports and the synthetic registry, where one service call per row
    would be too slow; the audit trail is the same. With `keep_dates`, a creation date (`auto_now_add`) already
    set on a row is kept: a migration import writes historical records with the dates they had.
    """
    if not objects:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("audited_bulk_create must run inside a transaction")
    model = type(objects[0])
    if model is AccessEvent:
        _seal_reads(objects, site)
    chain = f"site:{site.pk}" if site is not None else "global"
    ring = key_ring()
    seal, key_id = sealer(ring.current), ring.current_id
    _lock_chain(chain)
    prev = AuditEvent.objects.filter(chain=chain).order_by("-seq").values_list("hash", flat=True).first() or GENESIS
    now = timezone.now()
    actor_id, actor_label, actor_role = (actor.user.pk, actor.label, actor.role) if actor else (None, "system", "")
    site_id = site.pk if site is not None else None
    events: list[AuditEvent] = []
    for obj in objects:
        described = describe(obj)
        event = AuditEvent(
            chain=chain,
            occurred_at=now,
            actor_id=actor_id,
            actor_label=actor_label,
            actor_role=actor_role,
            site_id=site_id,
            action=described.get("action", action),
            outcome="done",
            object_type=described["object_type"],
            object_id=str(described["object_id"]),
            patient_id=described.get("patient_id"),
            episode_id=described.get("episode_id"),
            changes=_jsonable(dict(described.get("changes", {}))),
            reason=described.get("reason", ""),
            prev_hash=prev,
            key_id=key_id,
        )
        event.hash = seal(event_content(event), prev)
        prev = event.hash
        events.append(event)
    _insert_rows(model, objects, batch_size, keep_dates=keep_dates)
    _insert_rows(AuditEvent, events, batch_size)
    anchor_after_commit(chain, prev)
    return list(objects)


# Field classes whose `get_db_prep_save` returns a value of this exact type unchanged (they only coerce).
_UNCHANGED: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.SlugField: str,
    models.EmailField: str,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.BooleanField: bool,
    models.FloatField: float,
}


def _converter(field: models.Field, db: Any, keep_dates: bool = False) -> Callable[[Any], Any]:
    """obj -> the value of `field` as `bulk_create` sends it (`pre_save`, then `get_db_prep_save`).

    Shortcuts give the same value without the calls: a plain value of the type the field keeps, and a UUID
    (key or foreign key to a UUID key), which goes as it is or as its hex, as `UUIDField` sends it.
    """
    attname, prepare, pre_save = field.attname, field.get_db_prep_save, field.pre_save
    plain = _UNCHANGED.get(type(field))
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    if keep_dates and getattr(field, "auto_now_add", False):

        def convert(obj: Any) -> Any:
            value = getattr(obj, attname)
            return prepare(value if value is not None else pre_save(obj, True), db)

    elif plain is not None:

        def convert(obj: Any) -> Any:
            value = getattr(obj, attname)
            return value if type(value) is plain else prepare(pre_save(obj, True), db)

    elif type(target) is models.UUIDField:
        native = db.features.has_native_uuid_field

        def convert(obj: Any) -> Any:
            value = getattr(obj, attname)
            if type(value) is uuid.UUID:
                return value if native else value.hex
            return prepare(pre_save(obj, True), db)

    else:

        def convert(obj: Any) -> Any:
            return prepare(pre_save(obj, True), db)

    return convert


def _insert_rows(model: type[models.Model], objects: Sequence[Any], batch_size: int, keep_dates: bool = False) -> None:
    """Insert `objects` of `model` as `bulk_create` does, faster for large batches.

    Rows whose primary key is already set (UUIDs, or an auto key left to the database as for audit events)
    go through one prepared INSERT run for every row (`executemany`), each value converted as `bulk_create`
    converts it (`_converter`); compiling a multi-row statement per batch costs more than the insert itself.
    Related objects must already have their keys. Rows of a model with an auto key that the caller needs back
    go through `bulk_create`, which returns the keys.
    """
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated]
    auto_key = isinstance(opts.pk, models.AutoField)
    if auto_key:
        fields = [f for f in fields if f is not opts.pk]
    if (auto_key and model is not AuditEvent) or any(
        hasattr(f, "get_placeholder") or f.has_db_default()  # type: ignore[attr-defined]
        for f in fields
    ):
        with audited_bulk_insert():
            model.objects.bulk_create(objects, batch_size=batch_size)  # type: ignore[attr-defined]
        return
    db = connections[connection.alias]  # the connection itself: its proxy costs a lookup per value
    quote = db.ops.quote_name
    # Table and column names come from the model's metadata, quoted; every value is a parameter.
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    converters = [_converter(f, db, keep_dates) for f in fields]
    with db.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            chunk = objects[start : start + batch_size]
            for obj in chunk:
                if not auto_key and obj.pk is None:
                    obj.pk = opts.pk.get_pk_value_on_save(obj)  # type: ignore[attr-defined]
            cursor.executemany(sql, [[convert(obj) for convert in converters] for obj in chunk])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = db.alias
