"""The records staff sign or that lock, each with its canonical form (what a signature's SHA-256 covers), the
meanings a signature of it may carry (and the permission each needs), and when it is locked. Each app registers
its kinds from its own `signing.py` when it is ready, so this module imports none of their models.

The canonical form holds the record's type and id and its content, not its lifecycle (status, withdrawal,
administration) nor its version counter: a consent withdrawn by the patient or a product given to the patient
still carries the signatures of what was signed; an edit of the content does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from handregen.accounts.roles import Permission


def record_fields(record: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of `record`, for a canonical form."""
    return {name: getattr(record, name) for name in names}


@dataclass(frozen=True)
class Kind:
    record_type: str
    model: Any  # the Django model class (its manager and DoesNotExist are used)
    words: str  # how a reason names the record
    canonical: Callable[[Any], dict[str, Any]]
    meanings: dict[str, Permission]
    locked_when: Callable[[Any], bool] | None = None  # None: this kind never locks


# Filled by the apps that own the records (their AppConfig.ready): signatures imports none of their models.
KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    """Make `kind` signable or lockable; called once per app at start-up."""
    KINDS[kind.record_type] = kind


def kind_of(record: models.Model) -> Kind:
    for kind in KINDS.values():
        if isinstance(record, kind.model):
            return kind
    raise LookupError(f"{type(record).__name__} is not a signable or lockable record")


def canonical_form(record_type: str, record: models.Model) -> dict[str, Any]:
    kind = KINDS[record_type]
    if not isinstance(record, kind.model):
        raise LookupError(f"a {type(record).__name__} is not a {kind.words}")
    return {"record_type": record_type, "record_id": str(record.pk)} | kind.canonical(record)


def record_digest(record_type: str, record: models.Model) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of the record's canonical form."""
    # default=str writes ids, dates and decimals as Django reads them back from the database.
    text = json.dumps(
        canonical_form(record_type, record), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
