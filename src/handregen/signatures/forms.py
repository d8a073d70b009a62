"""The fields a staff page adds where its user signs: their own password and authenticator code, typed now."""

from __future__ import annotations

from django import forms

from handregen.edge.form_rules import CheckedForm


class SignerFields(CheckedForm):
    # Not required here: a missing password reaches the service, which refuses it and records the refusal.
    password = forms.CharField(
        label="Your password (you sign this)",
        required=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_code = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def signer(self) -> dict[str, str]:
        return {"password": self.cleaned_data["password"], "otp_code": self.cleaned_data["otp_code"]}
