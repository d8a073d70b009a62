"""Tidy export tables as data: each table names its columns with their dictionary entry and a row query.

Apps register the tables of their records here; the CSV export, the research export and the data
dictionary all read the same definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from handregen.accounts.actor import Actor


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    type: str  # string, integer, number, date, datetime, boolean, uuid
    unit: str = ""
    allowed: str = ""
    source: str = ""
    # What the research export does with the column (HIPAA Safe Harbor): keep, drop, study_code (ids),
    # year (dates), age (birth date -> age at the index date, 90+ grouped), zip3 (postal codes).
    deid: str = "keep"


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[Actor], Iterable[tuple[Any, ...]]]  # values in column order, site-scoped
    patient_column: str = "patient_id"


@dataclass
class Registry:
    tables: dict[str, Table] = field(default_factory=dict)

    def add(self, table: Table) -> Table:
        if table.name in self.tables:
            raise ValueError(f"export table {table.name} is registered twice")
        self.tables[table.name] = table
        return table

    def __iter__(self) -> Iterator[Table]:
        return iter(self.tables.values())


TABLES = Registry()


def dictionary_rows() -> Iterator[tuple[str, ...]]:
    """The data dictionary: one row per (table, variable)."""
    for table in TABLES:
        for c in table.columns:
            yield (table.name, c.name, c.label, c.type, c.unit, c.allowed, c.source)


DICTIONARY_HEADER = ("table", "variable", "label", "type", "unit", "allowed_values", "source")
