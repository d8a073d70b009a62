"""Bulk Data export jobs (FHIR `$export`): who asked, for which site, and the manifest written."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from handregen.records import REFERENCE, AppendOnlyModel

EXPORT_LEVELS = [
    ("system", "all of the site's patients ($export)"),
    ("patient", "Patient/$export"),
    ("group", "the site's group of patients (Group/[id]/$export)"),
]


class BulkExportRequest(AppendOnlyModel):
    """One `$export` kick-off, written before the 202 answer; the export runs afterwards, outside the request
    (`interop.fhir.bulk_jobs`). It ends in a `BulkExportJob` (done, same id) or a `BulkExportFailure`. The id (a
    random UUID4) is the job's name in its status and file URLs, which also check the bearer token's site."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    level = models.CharField(max_length=8, choices=EXPORT_LEVELS)
    request_url = models.CharField(max_length=500)
    files_url = models.CharField(max_length=500)  # absolute URL the file names are appended to

    class Meta:
        indexes = [models.Index(fields=["site", "requested_at"])]

    def __str__(self) -> str:
        return f"bulk export request {self.pk}"


class BulkExportFailure(AppendOnlyModel):
    """A requested export that could not be finished, with the reason in plain words (never patient data)."""

    request = models.OneToOneField(BulkExportRequest, on_delete=models.PROTECT, related_name="failure")
    failed_at = models.DateTimeField()
    reason = models.CharField(max_length=500)

    def __str__(self) -> str:
        return f"failed bulk export {self.request_id}"


class BulkExportJob(AppendOnlyModel):
    """A finished `$export`: written once, complete, with its manifest, when the export's files are all in
    `VAR_DIR/fhir-bulk/<id>/`. Its id is the id of its `BulkExportRequest` (earlier jobs, exported
    synchronously at kick-off, have none)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    level = models.CharField(max_length=8, choices=EXPORT_LEVELS)
    request_url = models.CharField(max_length=500)
    manifest = models.JSONField()
    completed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["site", "requested_at"])]

    def __str__(self) -> str:
        return f"bulk export {self.pk}"


class BulkExportProgress(models.Model):
    """How far a running export is (patients done of total), updated after each batch and read by the status URL
    on whichever app server answers it. Operational state: it changes in place and says nothing about patients."""

    record_kind: ClassVar[str] = REFERENCE
    request = models.OneToOneField(BulkExportRequest, on_delete=models.CASCADE, primary_key=True, related_name="+")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"export {self.request_id}: {self.done} of {self.total}"


class BulkExportCancellation(AppendOnlyModel):
    """A `DELETE` on an export's status URL: the export stops at its next batch and its files go; the status URL
    answers 404 from then on."""

    request = models.OneToOneField(BulkExportRequest, on_delete=models.PROTECT, related_name="cancellation")
    cancelled_at = models.DateTimeField()
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"cancelled bulk export {self.request_id}"


class BulkExportRemoval(AppendOnlyModel):
    """The files of an export were deleted from the file store: expired (retention), or the export cancelled."""

    job_id = models.UUIDField(primary_key=True)  # the request's id (also the job's, when it finished)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField()
    why = models.CharField(max_length=16, choices=[("expired", "expired"), ("cancelled", "cancelled")])
    files = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"files of bulk export {self.job_id} removed ({self.why})"


class ImportBatch(AppendOnlyModel):
    """One migration import of a registry (`interop.fhir.migration`): who ran it, from what, and how many
    records of each kind it wrote or found already there. Every row it wrote has an audit event naming the
    batch (`changes.import_batch`) with the action `fhir.migration_import`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=300)  # the file or folder name given (no path above it)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    created = models.JSONField(default=dict)  # model -> rows written
    unchanged = models.JSONField(default=dict)  # model -> rows already there with the same id
    placeholders = models.JSONField(default=dict)  # model -> what stands for what the export does not carry

    def __str__(self) -> str:
        return f"import batch {self.pk}"
