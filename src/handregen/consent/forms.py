"""Staff forms for the consent discussion and signature, and for a withdrawal of consent."""

from __future__ import annotations

from typing import Any

from django import forms

from handregen.consent.models import DEFAULT_MEANING, RECONSENT_KINDS
from handregen.edge.form_rules import CheckedForm
from handregen.signatures.forms import SignerFields


class ConsentForm(SignerFields):
    document_version = forms.CharField(widget=forms.HiddenInput, max_length=32)
    expectation_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20000)
    discussed_risks = forms.BooleanField(label="Risks discussed", required=False)
    discussed_benefits = forms.BooleanField(label="Possible benefits discussed (no promise of benefit)", required=False)
    discussed_alternatives = forms.BooleanField(
        label="Alternatives discussed (splint, therapy, steroid injection, surgery, waiting)", required=False
    )
    discussed_expectations = forms.BooleanField(
        label="Realistic expectations discussed (what happened to similar patients)", required=False
    )
    discussion_notes = forms.CharField(
        label="Notes of the discussion (questions asked)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    signer_name = forms.CharField(
        label="Patient's printed name, typed by the patient",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="The patient types their name (or confirms it on the screen); it is never filled in for them.",
    )
    confirm_meaning = forms.BooleanField(
        label=f"The signer confirms that this signature means: {DEFAULT_MEANING}", required=True
    )

    # The patient's part first; the witnessing clinician's re-authentication last, labelled as theirs.
    field_order = [
        "document_version",
        "expectation_token",
        "discussed_risks",
        "discussed_benefits",
        "discussed_alternatives",
        "discussed_expectations",
        "discussion_notes",
        "signer_name",
        "confirm_meaning",
        "password",
        "otp_code",
    ]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = "Witnessing clinician: your own password (you sign as witness, not the patient)"
        self.fields["otp_code"].label = "Witnessing clinician: code from your authenticator app"

    def discussed(self) -> dict[str, bool]:
        return {
            topic: bool(self.cleaned_data[f"discussed_{topic}"])
            for topic in ("risks", "benefits", "alternatives", "expectations")
        }


class CountersignForm(SignerFields):
    """The physician signs the consent again (after an unlock voided the earlier signature)."""


class WithdrawConsentForm(CheckedForm):
    reason = forms.CharField(
        label="How and why the patient withdrew consent", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReconsentFields(CheckedForm):
    """Why consent is taken again while one is on file (shown only in the explicit re-consent flow)."""

    reconsent_kind = forms.ChoiceField(label="Why consent is taken again", choices=[("", "Choose"), *RECONSENT_KINDS])
    reconsent_reason = forms.CharField(label="What changed", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
