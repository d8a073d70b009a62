"""The audit trail (every write) and the access log (every read of a patient's record)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from handregen.records import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    """One write (or one refused attempt), with before/after values, chained by hash per site.

    `hash` seals this event's content and the previous event's hash in the same chain with a key held outside
    the database (`key_id` names it), so a changed, removed, inserted or reordered row breaks the chain and
    cannot be re-sealed without the key (see `audit.chain`, `audit.keys`).
    """

    seq = models.BigAutoField(primary_key=True)
    chain = models.CharField(max_length=64, db_index=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=32, blank=True)
    site = models.ForeignKey("accounts.Site", null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, default="done")  # done | refused
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    patient_id = models.UUIDField(null=True, db_index=True)
    episode_id = models.UUIDField(null=True, db_index=True)
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32, blank=True)  # "" for the events sealed before the chains were keyed

    class Meta:
        indexes = [
            models.Index(fields=["chain", "seq"]),
            models.Index(fields=["object_type", "object_id"]),
            # The episode timeline, in order: without it SQLite walks all of the site's events by seq.
            models.Index(fields=["episode_id", "seq"], name="audit_event_episode_seq"),
        ]


class AccessEvent(AppendOnlyModel):
    """A read of a patient's record: who, when, which patient, which kind of data; never the values.

    Reads are chained like the audit events, one chain per site (`reads:site:<id>`), so that a deleted or
    rewritten read breaks it. Reads logged before the chaining have an empty `chain`.
    """

    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient_id = models.UUIDField(db_index=True)
    category = models.CharField(max_length=32)  # e.g. demographics, episode, timeline
    channel = models.CharField(max_length=16)  # web | api | fhir | export
    chain = models.CharField(max_length=80, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [models.Index(fields=["chain", "id"], name="audit_access_chain_id")]
