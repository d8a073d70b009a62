"""Bulk Data export jobs (FHIR `$export`): who asked, for which site, and the manifest written."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from handregen.records import AppendOnlyModel

EXPORT_LEVELS = [("system", "all of the site's patients ($export)"), ("patient", "Patient/$export")]


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
