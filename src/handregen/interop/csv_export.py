"""CSV export: one tidy table per entity and a data dictionary, streamed, formulas neutralised."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.interop import core_tables, outcome_tables  # noqa: F401 - register the tables
from handregen.interop.spreadsheet import safe_cell
from handregen.interop.tables import DICTIONARY_HEADER, TABLES, dictionary_rows


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | UUID):
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value) if isinstance(value, dict) else ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(value)


def export_csv(*, actor: Actor, out: Path, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write every registered table of the actor's site to `out` as CSV, plus `data_dictionary.csv`."""
    actor.require(Permission.PATIENT_VIEW)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table in TABLES:
        path = out / f"{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([c.name for c in table.columns])
            n = 0
            for row in table.rows(actor):
                writer.writerow([_text(v) for v in row])
                n += 1
                if progress and n % 10000 == 0:
                    progress(table.name, n)
        counts[table.name] = n
    with (out / "data_dictionary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(DICTIONARY_HEADER)
        writer.writerows(dictionary_rows())
    from django.db import transaction

    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export.csv",
            object_type="site",
            object_id=actor.site.pk,
            changes={"tables": counts, "at": timezone.now().isoformat()},
        )
    return counts
