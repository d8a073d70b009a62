"""Staff electronic signatures bound to one version of a record, the unlocks of locked records, and the voids
an unlock leaves on the signatures it invalidates. All three are append-only: a void is a new row, never an
UPDATE of the signature.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from handregen.records import AppendOnlyModel


class StaffSignature(AppendOnlyModel):
    """A staff member's signature of one record as it stood at `record_version`.

    `digest` is the SHA-256 of the record's canonical form when signed (signatures.kinds); the record's type
    and id are inside that form, so a signature row pointed at another record no longer verifies.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="staff_signatures")
    record_type = models.CharField(max_length=32)
    record_id = models.UUIDField()
    record_version = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    meaning = models.CharField(max_length=120)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_role = models.CharField(max_length=32)
    printed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["record_type", "record_id", "signed_at"])]

    def __str__(self) -> str:
        return f"{self.meaning} by {self.printed_name} ({self.record_type} v{self.record_version})"

    @property
    def is_void(self) -> bool:
        return SignatureVoid.objects.filter(signature_id=self.pk).exists()

    def digest_matches(self, record: Any) -> bool:
        """True when the record's canonical form now hashes to what was signed."""
        from handregen.signatures.kinds import record_digest

        return record_digest(self.record_type, record) == self.digest

    def is_valid_for_current(self, record: Any) -> bool:
        """True when this signature is not void and `record`, as stored now, is what was signed."""
        return str(self.record_id) == str(record.pk) and not self.is_void and self.digest_matches(record)


class RecordUnlock(AppendOnlyModel):
    """A locked record opened for one amendment, with the reason; it voided the record's signatures."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(max_length=32)
    record_id = models.UUIDField()
    record_version = models.PositiveIntegerField()
    reason = models.TextField()
    unlocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unlocked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["record_type", "record_id", "unlocked_at"])]

    def __str__(self) -> str:
        return f"unlock of {self.record_type} {self.record_id} (v{self.record_version})"


class SignatureVoid(AppendOnlyModel):
    """The mark that an unlock voided a signature; the signature row itself never changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    signature = models.OneToOneField(StaffSignature, on_delete=models.PROTECT, related_name="void")
    unlock = models.ForeignKey(RecordUnlock, on_delete=models.PROTECT, related_name="voids")
    voided_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"void of signature {self.signature_id}"
