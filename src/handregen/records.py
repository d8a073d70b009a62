"""Kinds of stored record and the protection each kind gets.

Every model declares `record_kind` (a test makes sure of it):
- APPEND_ONLY: written once, never changed or deleted (audit, custody, signatures).
- CLINICAL: changed only through services, which audit every change; never deleted.
- REFERENCE: configuration and identity data (sites, protocols, users), changed through services.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from django.db import models

from handregen.errors import RecordProtected

APPEND_ONLY = "append_only"
CLINICAL = "clinical"
REFERENCE = "reference"


_bulk_insert_audited: ContextVar[bool] = ContextVar("bulk_insert_audited", default=False)


@contextmanager
def audited_bulk_insert() -> Iterator[None]:
    """Allow `bulk_create` inside this block; only `audit.services.audited_bulk_create` opens it."""
    token = _bulk_insert_audited.set(True)
    try:
        yield
    finally:
        _bulk_insert_audited.reset(token)


class ProtectedQuerySet(models.QuerySet):
    """Refuses bulk writes, which would change rows without an audit event per row."""

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if not _bulk_insert_audited.get():
            raise RecordProtected(
                f"{self.model.__name__} rows are inserted in bulk only through "
                "audit.services.audited_bulk_create, which audits every row."
            )
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        raise RecordProtected(f"{self.model.__name__} rows change only through a service, one audited row at a time.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RecordProtected(f"{self.model.__name__} rows are never deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise RecordProtected(f"{self.model.__name__} rows change only through a service, one audited row at a time.")


class AppendOnlyModel(models.Model):
    """A row that is written once; a second save or a delete is refused."""

    record_kind: ClassVar[str] = APPEND_ONLY
    objects = ProtectedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RecordProtected(f"{type(self).__name__} is append-only: it cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RecordProtected(f"{type(self).__name__} is append-only: it cannot be deleted.")


class ClinicalModel(models.Model):
    """A clinical record: amended through services (each change audited), never deleted.

    `version` counts saves so that a stale edit can be refused instead of silently overwriting.
    """

    record_kind: ClassVar[str] = CLINICAL
    version = models.PositiveIntegerField(default=1)
    objects = ProtectedQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RecordProtected(f"{type(self).__name__} is a clinical record: amend it, never delete it.")
