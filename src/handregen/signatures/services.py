"""Signing a record (after re-authentication), the lock rule, and unlocking a locked record with a reason.

`signature_write` and `lock_refusals` run inside the caller's transaction (consent, candidacy, release and the
amending services); `record_sign` and `record_unlock` are whole operations of their own.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import User
from handregen.accounts.reauth import reauthenticate
from handregen.accounts.roles import Permission
from handregen.accounts.signing_throttle import failed_credentials_record
from handregen.audit.services import audit_record, audit_refusal
from handregen.errors import GuardRefused, InvalidInput, NotFound, ReauthenticationRefused
from handregen.signatures.kinds import KINDS, Kind, kind_of, record_digest
from handregen.signatures.models import RecordUnlock, SignatureVoid, StaffSignature


def _printed_name(user: User) -> str:
    return user.get_full_name() or user.username


def signatures_of(record: models.Model) -> list[StaffSignature]:
    kind = kind_of(record)
    return list(
        StaffSignature.objects.filter(record_type=kind.record_type, record_id=record.pk)
        .select_related("void")
        .order_by("signed_at")
    )


def signature_write(
    *, actor: Actor, record: models.Model, meaning: str, signer: User, signer_role: str
) -> StaffSignature:
    """Store `signer`'s signature of `record` as stored now and audit it; the signer was re-authenticated."""
    kind = kind_of(record)
    if meaning not in kind.meanings:
        raise InvalidInput([("meaning", f"a {kind.words} is signed as {' or '.join(map(repr, kind.meanings))}")])
    stored = kind.model.objects.get(pk=record.pk)  # the values as the database keeps them are what is signed
    signature = StaffSignature.objects.create(
        site=actor.site,
        episode_id=stored.episode_id,
        record_type=kind.record_type,
        record_id=stored.pk,
        record_version=stored.version,
        digest=record_digest(kind.record_type, stored),
        meaning=meaning,
        signer=signer,
        signer_role=signer_role,
        printed_name=_printed_name(signer),
        signed_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="signature.sign",
        object_type=kind.record_type,
        object_id=stored.pk,
        changes={
            "signature": [None, str(signature.pk)],
            "meaning": [None, meaning],
            "signer": [None, signer.username],
            "record_version": [None, signature.record_version],
            "digest": [None, signature.digest],
        },
        patient_id=stored.patient_id,
        episode_id=stored.episode_id,
    )
    return signature


def signature_sign(
    *, actor: Actor, record: models.Model, meaning: str, password: str, otp_code: str = ""
) -> StaffSignature:
    """The actor signs `record` with `meaning`: their role must carry the meaning's permission, and they must
    give their password (and authenticator code, if enrolled) now."""
    kind = kind_of(record)
    permission = kind.meanings.get(meaning)
    if permission is None:
        raise InvalidInput([("meaning", f"a {kind.words} is not signed as {meaning!r}")])
    actor.require(permission)
    reauthenticate(user=actor.user, password=password, otp_code=otp_code)
    return signature_write(actor=actor, record=record, meaning=meaning, signer=actor.user, signer_role=actor.role)


# --- locking ---------------------------------------------------------------------------------------------------


def _open_unlock(kind: Kind, record: models.Model) -> RecordUnlock | None:
    """The unlock that still holds: made at the record's current version, with no signature since."""
    unlock = (
        RecordUnlock.objects.filter(record_type=kind.record_type, record_id=record.pk).order_by("-unlocked_at").first()
    )
    if unlock is None or unlock.record_version != record.version:  # type: ignore[attr-defined]
        return None
    signed_since = StaffSignature.objects.filter(
        record_type=kind.record_type, record_id=record.pk, signed_at__gte=unlock.unlocked_at
    ).exists()
    return None if signed_since else unlock


def is_locked(record: models.Model) -> bool:
    """A completed consent, a released product, a closed adverse event is locked until unlocked with a reason.

    An unlock opens the record for one amendment: the amendment (a new version) or a new signature locks it again.
    """
    kind = kind_of(record)
    if kind.locked_when is None or not kind.locked_when(record):
        return False
    return _open_unlock(kind, record) is None


def lock_refusals(record: models.Model) -> list[str]:
    """[] when the record may be amended; else the plain reason (amending services add it to their refusal)."""
    if not is_locked(record):
        return []
    words = kind_of(record).words
    return [
        f"This {words} is locked: it is read-only once signed, released or closed. A site admin must unlock it "
        "with a reason before it can be changed, which voids its signatures."
    ]


def record_unlock(*, actor: Actor, record_type: str, record_id: Any, reason: str) -> RecordUnlock:
    """Unlock a locked record of the actor's site with a reason; every signature on it becomes void."""
    actor.require(Permission.UNLOCK_RECORDS)
    errors: list[tuple[str, str]] = []
    kind = KINDS.get(record_type)
    if kind is None or kind.locked_when is None:
        lockable = ", ".join(k for k, v in KINDS.items() if v.locked_when is not None)
        errors.append(("record_type", f"must be one of {lockable}"))
    if not str(reason or "").strip():
        errors.append(("reason", "say why the locked record must be changed"))
    if errors:
        raise InvalidInput(errors)
    assert kind is not None
    with transaction.atomic():
        try:
            record = kind.model.objects.select_for_update().get(pk=record_id, site=actor.site)
        except (kind.model.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound(kind.words) from exc
        if not is_locked(record):
            raise GuardRefused([f"This {kind.words} is not locked; there is nothing to unlock."])
        now = timezone.now()
        unlock = RecordUnlock.objects.create(
            site=actor.site,
            record_type=kind.record_type,
            record_id=record.pk,
            record_version=record.version,
            reason=str(reason).strip(),
            unlocked_by=actor.user,
            unlocked_at=now,
        )
        voided = [s for s in signatures_of(record) if not hasattr(s, "void")]
        for signature in voided:
            SignatureVoid.objects.create(site=actor.site, signature=signature, unlock=unlock, voided_at=now)
        audit_record(
            actor=actor,
            action="record.unlock",
            object_type=kind.record_type,
            object_id=record.pk,
            changes={"locked": [True, False], "signatures_voided": [None, [str(s.pk) for s in voided]]},
            reason=unlock.reason,
            patient_id=record.patient_id,
            episode_id=record.episode_id,
        )
    return unlock


def record_sign(
    *, actor: Actor, record_type: str, record_id: Any, meaning: str, password: str, otp_code: str = ""
) -> StaffSignature:
    """Sign (or sign again, after an unlock voided the earlier signature) a record of the actor's site.

    A refused attempt (wrong password, a version already signed) is rolled back and audited.
    """
    kind = KINDS.get(record_type)
    if kind is None or not kind.meanings:
        raise InvalidInput([("record_type", "this kind of record is not signed")])
    permission = kind.meanings.get(meaning)
    if permission is None:
        raise InvalidInput([("meaning", f"a {kind.words} is signed as {' or '.join(map(repr, kind.meanings))}")])
    actor.require(permission)  # the role first: a role that may not sign learns nothing about the record
    try:
        with transaction.atomic():
            try:
                record = kind.model.objects.select_for_update().get(pk=record_id, site=actor.site)
            except (kind.model.DoesNotExist, ValueError, TypeError) as exc:
                raise NotFound(kind.words) from exc
            if kind.locked_when is not None and not kind.locked_when(record):
                state = getattr(record, "status", "") or "open"
                raise GuardRefused(
                    [f"This {kind.words} is {state}; it is signed only once signed off, released or closed."]
                )
            already = [
                s
                for s in signatures_of(record)
                if s.signer_id == actor.user.pk and s.meaning == meaning and s.is_valid_for_current(record)
            ]
            if already:
                raise GuardRefused([f"You have already signed this version of the {kind.words} ({meaning})."])
            return signature_sign(actor=actor, record=record, meaning=meaning, password=password, otp_code=otp_code)
    except (GuardRefused, ReauthenticationRefused) as refusal:
        failed_credentials_record(refusal, actor=actor)  # the detail first, then the step refused
        audit_refusal(
            actor=actor, action="signature.sign", object_type=record_type, object_id=record_id, reasons=refusal.reasons
        )
        raise
