"""Staff forms of the web app's own pages (patients, episodes, withdrawal)."""

from __future__ import annotations

from django import forms

from handregen.edge.form_rules import CheckedForm
from handregen.pathway.models import INDICATIONS, SIDES
from handregen.patients.models import HAND_CHOICES, PATIENT_LANGUAGES, SEX_CHOICES


class DateInput(forms.DateInput):
    input_type = "date"


def _choose(what: str, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A choice that starts empty: what the record says about a person is chosen, never pre-selected."""
    return [("", f"Choose {what}"), *choices]


class PatientForm(CheckedForm):
    mrn = forms.CharField(label="MRN (hospital number)", max_length=40)
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    birth_date = forms.DateField(label="Date of birth", widget=DateInput)
    sex = forms.ChoiceField(label="Sex", choices=_choose("the sex", list(SEX_CHOICES)))
    dominant_hand = forms.ChoiceField(label="Dominant hand", choices=_choose("the dominant hand", list(HAND_CHOICES)))
    occupation = forms.CharField(label="Occupation", max_length=120, required=False)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    email = forms.EmailField(label="E-mail (for questionnaire links)", required=False)
    preferred_language = forms.ChoiceField(
        label="Language of the patient's questionnaire pages",
        required=False,
        choices=[("", "The clinic's language"), *PATIENT_LANGUAGES],
    )
    postal_code = forms.CharField(label="Postal code", max_length=16, required=False)


class PatientCorrectionForm(PatientForm):
    """The recorded demographics and contact details to correct, with why, at the version they were loaded."""

    reason = forms.CharField(
        label="Reason for the correction",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for every correction; the earlier values stay in the audit trail.",
    )
    expected_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class EpisodeForm(CheckedForm):
    indication = forms.ChoiceField(label="Indication", choices=_choose("the indication", list(INDICATIONS)))
    side = forms.ChoiceField(label="Side", choices=_choose("the side", list(SIDES)))
    target_joints = forms.CharField(
        label="Target joints",
        max_length=100,
        help_text="Separate several joints with commas, e.g. CMC1 or PIP3, DIP2.",
    )

    def clean_target_joints(self) -> list[str]:
        return [j.strip().upper() for j in self.cleaned_data["target_joints"].split(",") if j.strip()]


class WithdrawForm(CheckedForm):
    reason = forms.CharField(label="Reason for withdrawal", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class SearchForm(CheckedForm):
    q = forms.CharField(label="Name or MRN", max_length=100, required=False)


class BreakGlassForm(CheckedForm):
    reason = forms.CharField(
        label="Why do you need this patient's record now?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Your reason, your name and the time go on the record of the patient's clinic.",
    )
    minutes = forms.IntegerField(label="For how many minutes (at most 60)", min_value=1, max_value=60, initial=60)
