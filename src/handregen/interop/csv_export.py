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
from handregen.interop import analytics_tables, core_tables, outcome_tables  # noqa: F401 - register the tables
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


SYNTHETIC_COLUMN = ("synthetic_patient", "The row belongs to a synthetic (made-up) patient", "boolean", "", "", "")


def export_csv(
    *,
    actor: Actor,
    out: Path,
    progress: Callable[[str, int], None] | None = None,
    include_synthetic: bool = False,
) -> dict[str, int]:
    """Write every registered table of the actor's site to `out` as CSV, plus `data_dictionary.csv`.

    Rows of synthetic (made-up) patients are left out unless `include_synthetic`; then every table that has
    patient rows gains a `synthetic_patient` column and `SYNTHETIC_DATA.txt` says how many patients are made up.
    """
    actor.require(Permission.PATIENT_VIEW)
    out.mkdir(parents=True, exist_ok=True)
    patients, episodes = synthetic_ids(actor)
    counts: dict[str, int] = {}
    for table in TABLES:
        names = [c.name for c in table.columns]
        key = next((names.index(k) for k in ("patient_id", "episode_id") if k in names), None)
        made_up = patients if key is not None and names[key] == "patient_id" else episodes
        marked = include_synthetic and key is not None
        path = out / f"{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names + ([SYNTHETIC_COLUMN[0]] if marked else []))
            n = 0
            for row in table.rows(actor):
                synthetic = key is not None and str(row[key]) in made_up
                if synthetic and not include_synthetic:
                    continue
                writer.writerow([_text(v) for v in row] + ([_text(synthetic)] if marked else []))
                n += 1
                if progress and n % 10000 == 0:
                    progress(table.name, n)
        counts[table.name] = n
    with (out / "data_dictionary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(DICTIONARY_HEADER)
        writer.writerows(dictionary_rows())
        if include_synthetic:
            writer.writerow(("(every table with patient rows)", *SYNTHETIC_COLUMN))
    if include_synthetic and patients:
        (out / "SYNTHETIC_DATA.txt").write_text(
            f"This export includes {len(patients):,} synthetic (made-up) patients; their rows are marked "
            "synthetic_patient = true in every table.\n",
            encoding="utf-8",
        )
    from django.db import transaction

    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export.csv",
            object_type="site",
            object_id=actor.site.pk,
            changes={"tables": counts, "at": timezone.now().isoformat(), "include_synthetic": include_synthetic},
        )
    return counts


def synthetic_ids(actor: Actor) -> tuple[set[str], set[str]]:
    """The site's synthetic patients' ids and their episodes' ids, as text (how the tables' rows compare)."""
    from handregen.pathway.models import Episode
    from handregen.patients.models import Patient

    patients = {str(p) for p in Patient.objects.filter(site=actor.site, is_synthetic=True).values_list("id", flat=True)}
    episodes = Episode.objects.filter(site=actor.site, patient__is_synthetic=True).values_list("id", flat=True)
    return patients, {str(e) for e in episodes}
