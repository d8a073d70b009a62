"""Procedure-room forms: the harvest, and the injection with its two bedside scan fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from handregen.cellproducts.forms import SCAN_ATTRS, DateTimeInput
from handregen.cellproducts.models import Donor
from handregen.cellproducts.regulatory import ANAESTHESIA, ORIGINS, SOURCES
from handregen.edge.form_rules import CheckedForm
from handregen.pathway.models import SIDES, Episode
from handregen.procedures.models import GUIDANCE, HARVEST_SITES


class HarvestForm(CheckedForm):
    source = forms.ChoiceField(label="Source", choices=list(SOURCES.items()))
    origin = forms.ChoiceField(label="Origin", choices=list(ORIGINS.items()))
    donor = forms.ChoiceField(label="Donor (allogeneic only)", required=False, choices=[])
    harvest_site = forms.ChoiceField(label="Harvest site", choices=HARVEST_SITES)
    volume_ml = forms.DecimalField(
        label="Volume harvested (mL)", min_value=Decimal("0.01"), max_value=1000, decimal_places=2
    )
    anaesthesia = forms.ChoiceField(label="Anaesthesia", choices=list(ANAESTHESIA.items()))
    started_at = forms.DateTimeField(label="Started (empty = at the end)", required=False, widget=DateTimeInput)
    ended_at = forms.DateTimeField(label="Ended (empty = now)", required=False, widget=DateTimeInput)
    complications = forms.CharField(
        label="Complications (empty if none)", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    approval_reference = forms.CharField(
        label="Approval reference (if the product class needs one)", required=False, max_length=80
    )

    def __init__(self, *args: Any, donors: list[Donor], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["donor"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (str(d.pk), f"{d.code} ({d.eligibility})") for d in donors
        ]


class InjectionForm(CheckedForm):
    product_code = forms.CharField(
        label="Scan the product label",
        max_length=100,
        widget=forms.TextInput(attrs=SCAN_ATTRS | {"autofocus": True}),
        help_text="Or type the identifier with its check character.",
    )
    wristband_code = forms.CharField(
        label="Scan the patient's wristband",
        max_length=100,
        widget=forms.TextInput(attrs=SCAN_ATTRS),
    )
    joint = forms.ChoiceField(label="Joint", choices=[])
    side = forms.ChoiceField(label="Side", choices=SIDES)
    guidance = forms.ChoiceField(label="Image guidance", choices=GUIDANCE)
    anaesthetic = forms.CharField(label="Local anaesthetic and dose (or 'none')", max_length=120)
    volume_ml = forms.DecimalField(
        label="Volume injected (mL)", min_value=Decimal("0.01"), max_value=20, decimal_places=2
    )

    def __init__(self, *args: Any, episode: Episode, **kwargs: Any):
        kwargs.setdefault("initial", {"side": episode.side})
        super().__init__(*args, **kwargs)
        self.fields["joint"].choices = [(j, j) for j in episode.target_joints]  # type: ignore[attr-defined]
