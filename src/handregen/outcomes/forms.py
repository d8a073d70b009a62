"""Entry forms built from an instrument's data: one field per item, choices from its options or range."""

from __future__ import annotations

from typing import Any

from django import forms

from handregen.edge.form_rules import CheckedForm
from handregen.outcomes.instruments import Instrument
from handregen.outcomes.models import PINCH_TYPES
from handregen.outcomes.wording import answer_options, item_texts, licensed_scales

SIDE_CHOICES = [("right", "right"), ("left", "left")]


class InstrumentForm(CheckedForm):
    """Answers to one instrument; every item is optional (scoring decides what is enough)."""

    def __init__(self, *args: Any, instrument: Instrument, staff: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        texts, self.licensed_wording = item_texts(instrument)
        licensed = licensed_scales(instrument)
        response = instrument.response
        for item in instrument.items:
            label = texts[item.id] if len(instrument.items) > 1 or not instrument.question else instrument.question
            choices = [(o.value, o.label) for o in answer_options(instrument, item, licensed)]
            field: forms.Field
            if choices:
                field = forms.TypedChoiceField(
                    label=label,
                    choices=choices,
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect,
                )
            else:
                unit = f" ({response.unit})" if response.unit else ""
                field = forms.FloatField(
                    label=f"{label}{unit}",
                    min_value=response.min,
                    max_value=response.max,
                    required=False,
                    widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
                )
            self.fields[item.id] = field
        if staff and instrument.code in ("grip", "pinch"):
            self.fields["side"] = forms.ChoiceField(label="Hand measured", choices=SIDE_CHOICES)
            self.fields["device"] = forms.CharField(
                label="Device", max_length=80, required=False, help_text="e.g. Jamar hydraulic, handle position 2"
            )
        if staff and instrument.code == "pinch":
            self.fields["pinch_type"] = forms.ChoiceField(label="Pinch type", choices=PINCH_TYPES, initial="key")

    def answers(self) -> dict[str, Any]:
        """The item answers (None for unanswered items) after validation."""
        return {item.id: self.cleaned_data.get(item.id) for item in self.instrument.items}

    def item_fields(self) -> list[forms.BoundField]:
        return [self[item.id] for item in self.instrument.items]

    def extra_fields(self) -> list[forms.BoundField]:
        ids = set(self.instrument.item_ids)
        return [self[name] for name in self.fields if name not in ids]


class AmendmentForm(CheckedForm):
    amendment_reason = forms.CharField(
        label="Reason for the correction",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when this instrument is already recorded for this follow-up.",
    )


class MarkDoneForm(CheckedForm):
    reason = forms.CharField(
        label="Why is this follow-up done without every instrument?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
