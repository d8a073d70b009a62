"""Lab forms: find a product by scanning, record processing, release with a second person, discard."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from handregen.cellproducts.regulatory import METHODS, METHODS_FOR_SOURCE, REGULATORY_CLASSES
from handregen.edge.form_rules import CheckedForm
from handregen.signatures.forms import SignerFields

SCAN_ATTRS = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "data-scan": "1"}


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class ScanForm(CheckedForm):
    code = forms.CharField(
        label="Product identifier (scan the label or type it with its check character)",
        max_length=100,
        widget=forms.TextInput(attrs=SCAN_ATTRS | {"autofocus": True}),
    )


class ProcessingForm(CheckedForm):
    method = forms.ChoiceField(label="Processing method", choices=[])
    device = forms.CharField(label="Device", max_length=120, required=False)
    device_lot = forms.CharField(label="Device lot number", max_length=60, required=False)
    kit_lot = forms.CharField(label="Kit lot number", max_length=60, required=False)
    output_volume_ml = forms.DecimalField(
        label="Output volume (mL)", min_value=Decimal("0.01"), max_value=1000, decimal_places=2
    )
    total_nucleated_cells = forms.IntegerField(label="Total nucleated cells", min_value=0, max_value=10**13)
    viability_percent = forms.DecimalField(label="Viability (%)", min_value=0, max_value=100, decimal_places=2)
    markers = forms.CharField(
        label="Markers (optional)",
        required=False,
        max_length=500,
        help_text="Name=value pairs separated by commas, e.g. CD34_percent=1.2, CD45_percent=60",
    )
    sterility_sample_taken = forms.BooleanField(label="Sterility culture sample taken", required=False)
    sterility_sample_id = forms.CharField(label="Sterility sample number", max_length=60, required=False)
    started_at = forms.DateTimeField(label="Processing started (site time)", required=False, widget=DateTimeInput)
    ended_at = forms.DateTimeField(
        label="Processing ended (site time; empty = now)", required=False, widget=DateTimeInput
    )
    regulatory_class = forms.ChoiceField(label="Regulatory class", choices=[])
    approval_reference = forms.CharField(
        label="Approval reference (e.g. investigational approval number)", max_length=80, required=False
    )
    class_justification = forms.CharField(
        label="Justification for a class other than the site's policy gives (only then)",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    class_verifier_username = forms.CharField(
        label="Second person verifying that class: username", max_length=150, required=False
    )
    class_verifier_password = forms.CharField(
        label="Second person's password",
        max_length=200,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    class_verifier_otp_code = forms.CharField(label="Second person's authenticator code", required=False, max_length=12)
    correction_reason = forms.CharField(
        label="Reason for the correction (only when correcting recorded processing)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, source: str, needing_approval: tuple[str, ...] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        methods = [(m, METHODS[m]) for m in METHODS_FOR_SOURCE[source]]
        self.fields["method"].choices = [("", "Choose the method"), *methods]  # type: ignore[attr-defined]
        # Every class is a choice, none pre-selected; the form says which ones need an approval reference here.
        self.fields["regulatory_class"].choices = [  # type: ignore[attr-defined]
            ("", "Choose the class"),
            *(
                (code, label + (" — needs an approval reference at this site" if code in needing_approval else ""))
                for code, label in REGULATORY_CLASSES.items()
            ),
        ]

    def clean_markers(self) -> dict[str, float]:
        text = self.cleaned_data["markers"].strip()
        markers: dict[str, float] = {}
        if not text:
            return markers
        for part in text.split(","):
            name, sep, value = part.partition("=")
            try:
                if not sep or not name.strip():
                    raise ValueError
                markers[name.strip()] = float(value)
            except ValueError:
                raise forms.ValidationError(f"{part.strip()!r} is not name=value") from None
        return markers


class ReleaseForm(SignerFields):
    verifier_username = forms.CharField(label="Verifier's username (a second person)", max_length=150)
    verifier_password = forms.CharField(
        label="Verifier's password", max_length=200, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    verifier_otp_code = forms.CharField(label="Verifier's authenticator code", required=False, max_length=12)
    exceptional_justification = forms.CharField(
        label="Exceptional release: the physician's justification (only if a criterion is not met)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only for autologous products, with a physician as the verifier; the release is flagged.",
    )


class DiscardForm(CheckedForm):
    reason = forms.CharField(
        label="Why is the product discarded?", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
