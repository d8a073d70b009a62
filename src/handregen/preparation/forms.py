"""The nurse's day-of checklist: one checkbox per item of the protocol's checklist."""

from __future__ import annotations

from typing import Any

from django import forms

from handregen.edge.form_rules import CheckedForm


class ChecklistForm(CheckedForm):
    notes = forms.CharField(
        label="Notes (e.g. the prescriber's decision on a hold)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, items: tuple[tuple[str, str], ...], derived: tuple[str, ...] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        asked = [(code, label) for code, label in items if code not in derived]  # derived items are shown, not asked
        for code, label in asked:
            self.fields[f"item_{code}"] = forms.BooleanField(label=label, required=False)
        self.order_fields([f"item_{code}" for code, _ in asked] + ["notes"])

    def checklist(self) -> dict[str, bool]:
        return {name[5:]: bool(value) for name, value in self.cleaned_data.items() if name.startswith("item_")}


class InstructionsDateForm(CheckedForm):
    procedure_date = forms.DateField(
        label="Procedure date (to print the stop dates)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
