"""The de-identified research export (HIPAA Safe Harbor), the only export a researcher may take.

Each registered table column says what happens to it (`Column.deid`); the manifest records every column
removed or transformed and why, the restricted ZIP3 list used and its digest.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.interop import analytics_tables, core_tables, outcome_tables  # noqa: F401 - register the tables
from handregen.interop.deidentify import new_study_code, restricted_zip_list, safe_age, safe_zip3
from handregen.interop.spreadsheet import safe_cell
from handregen.interop.tables import TABLES, Column

WHY = {
    "drop": "direct identifier or free text (Safe Harbor: removed)",
    "study_code": "record id replaced by a random study code, new in every export",
    "year": "date reduced to its year",
    "age": "birth date replaced by age in years at export; 90 and over grouped as 90+",
    "zip3": "postal code reduced to its first three digits; restricted areas as 000",
}


class _Codes:
    """Random study codes, the same for the same id within one export only."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def __call__(self, value: Any) -> str:
        key = str(value)
        if key not in self.codes:
            self.codes[key] = new_study_code()
        return self.codes[key]


def _transform(column: Column, value: Any, codes: _Codes, today: date, zips: Any) -> Any:
    if value is None or value == "":
        return ""
    if column.deid == "study_code":
        return codes(value)
    if column.deid == "year":
        return str(value.year) if isinstance(value, date | datetime) else ""
    if column.deid == "age":
        return safe_age(value, today)
    if column.deid == "zip3":
        return safe_zip3(str(value), zips)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(value)


def export_research(*, actor: Actor, out: Path, progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Write the de-identified tables of the actor's site and `manifest.json` to `out`."""
    actor.require(Permission.RESEARCH_EXPORT)
    out.mkdir(parents=True, exist_ok=True)
    zips = restricted_zip_list(getattr(settings, "HANDREGEN_RESTRICTED_ZIP3", None))
    codes = _Codes()
    today = timezone.localdate()
    tables: dict[str, Any] = {}
    for table in TABLES:
        kept = [c for c in table.columns if c.deid != "drop"]
        with (out / f"{table.name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([c.name if c.deid != "age" else "age_years" for c in kept])
            n = 0
            positions = [table.columns.index(c) for c in kept]
            for row in table.rows(actor):
                writer.writerow([_transform(table.columns[i], row[i], codes, today, zips) for i in positions])
                n += 1
                if progress and n % 10000 == 0:
                    progress(table.name, n)
        tables[table.name] = {
            "rows": n,
            "changed_columns": {c.name: WHY[c.deid] for c in table.columns if c.deid != "keep"},
        }
    manifest = {
        "kind": "handregen de-identified research export (HIPAA Safe Harbor, 45 CFR 164.514(b)(2))",
        "created": today.year,
        "tables": tables,
        "restricted_zip3": {"source": zips.source, "sha256": zips.digest, "count": len(zips.prefixes)},
        "notes": [
            "Study codes are random and differ between exports; they cannot be linked back.",
            "Free-text fields are not exported.",
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export.research",
            object_type="site",
            object_id=actor.site.pk,
            changes={"tables": {k: v["rows"] for k, v in tables.items()}},
        )
    return manifest
