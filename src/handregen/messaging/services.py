"""Deliver a message to a patient and record what happened (queued, sent, failed with the reason)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site
from handregen.audit.services import audit_record
from handregen.messaging.channels import channel
from handregen.messaging.models import FAILED, QUEUED, SENT, Delivery
from handregen.patients.models import Patient

NO_ADDRESS = "no address for this channel on the patient's record"


@dataclass(frozen=True)
class Outgoing:
    """A message to one patient about one thing (e.g. a follow-up)."""

    site: Site
    patient: Patient
    purpose: str
    subject: str
    body: str
    about_type: str = ""
    about_id: str = ""
    channel: str = "email"


@transaction.atomic
def _record(actor: Actor | None, message: Outgoing, status: str, reason: str = "") -> Delivery:
    delivery = Delivery.objects.create(
        site=message.site,
        patient=message.patient,
        channel=message.channel,
        purpose=message.purpose,
        about_type=message.about_type,
        about_id=message.about_id,
        status=status,
        reason=reason[:300],
        created_by=actor.user if actor else None,
        sent_at=timezone.now() if status == SENT else None,
    )
    _audit(actor, delivery, None, status)
    return delivery


def _audit(actor: Actor | None, delivery: Delivery, before: str | None, after: str) -> None:
    audit_record(
        actor=actor,
        site=delivery.site if actor is None else None,
        action=f"message.{after}",
        object_type="delivery",
        object_id=delivery.pk,
        changes={"status": [before, after], "purpose": [None, delivery.purpose], "channel": [None, delivery.channel]},
        reason=delivery.reason,
        patient_id=delivery.patient_id,
    )


def _why(exc: Exception) -> str:
    """A failure in plain words without the message or the address (no PHI in the record's reason)."""
    kind = type(exc).__name__
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return f"the mail server could not be reached or refused the message ({kind})"
    return f"the channel refused the message ({kind})"


def message_deliver(*, actor: Actor | None, message: Outgoing, raise_on_failure: bool = False) -> Delivery:
    """Queue, send and record one message. A failure is recorded with its reason (and raised when asked, for a
    caller whose transaction must roll back; it then records the failure itself with `delivery_failed`)."""
    way = channel(message.channel)
    address = way.address_of(message.patient)
    if not address:
        return _record(actor, message, FAILED, NO_ADDRESS)
    delivery = _record(actor, message, QUEUED)
    try:
        way.send(to=address, subject=message.subject, body=message.body)
    except Exception as exc:
        if raise_on_failure:
            raise
        return _mark(actor, delivery, FAILED, _why(exc))
    return _mark(actor, delivery, SENT)


@transaction.atomic
def _mark(actor: Actor | None, delivery: Delivery, status: str, reason: str = "") -> Delivery:
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    before = locked.status
    locked.status, locked.reason = status, reason[:300]
    locked.sent_at = timezone.now() if status == SENT else None
    locked.version += 1
    locked.save()
    _audit(actor, locked, before, status)
    return locked


def delivery_failed(*, actor: Actor | None, message: Outgoing, exc: Exception) -> Delivery:
    """Record a failed delivery whose queued record was rolled back with its caller's transaction."""
    return _record(actor, message, FAILED, _why(exc))


def latest_deliveries(*, site: Site, about_type: str, about_ids: list[str]) -> dict[str, Delivery]:
    """The newest delivery about each of `about_ids` (callers check the reader's access to them first)."""
    latest: dict[str, Delivery] = {}
    for delivery in Delivery.objects.filter(site=site, about_type=about_type, about_id__in=about_ids).order_by(
        "created_at"
    ):
        latest[delivery.about_id] = delivery
    return latest
