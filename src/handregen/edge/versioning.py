"""The page side of "no lost updates": every edit form carries the version it was loaded at, and a stale save
is answered with a conflict that shows the saved values beside what the user typed, which stays in the form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import QueryDict

from handregen.edge.form_rules import CheckedForm
from handregen.versions import StaleVersion, _shown

VERSION_FIELD = "expected_version"


class VersionForm(CheckedForm):
    """The hidden version an edit page was loaded at (0: the record did not exist yet)."""

    expected_version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def version(self) -> int | None:
        return self.cleaned_data.get(VERSION_FIELD) if self.is_valid() else None


def conflict_rows(stale: StaleVersion, typed: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per field: its label, the value saved now, the value typed, and whether they differ."""
    rows = []
    for name in dict.fromkeys([*stale.current, *typed]):
        saved = stale.current.get(name, "—")
        yours = _shown(typed[name]) if name in typed else "—"
        rows.append({"field": name.replace("_", " "), "saved": saved, "yours": yours, "differs": saved != yours})
    return rows


def at_current_version(data: QueryDict, stale: StaleVersion) -> QueryDict:
    """The submitted data, now naming the current version: saving again is a deliberate choice over it."""
    renewed = data.copy()
    renewed[VERSION_FIELD] = str(stale.current_version)
    return renewed
