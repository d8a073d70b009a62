"""Staff forms for adverse events and re-interventions, with the CTCAE and ICH E2A definitions as labels."""

from __future__ import annotations

from django import forms

from handregen.edge.form_rules import CheckedForm
from handregen.safety.terms import (
    ACTIONS,
    GRADES,
    OUTCOMES,
    REINTERVENTION_TYPES,
    RELATEDNESS,
    SERIOUSNESS_CRITERIA,
    TERMS,
)

_OPTIONAL_RELATEDNESS = [("", "— not assessed —"), *RELATEDNESS.items()]


class DateInput(forms.DateInput):
    input_type = "date"


def _choose(what: str, choices: dict[str, str]) -> list[tuple[str, str]]:
    """Choices that start empty: a clinical judgement is chosen, never pre-selected."""
    return [("", f"Choose {what}"), *choices.items()]


def _yes_no(value: str) -> bool:
    return value == "yes"


class AdverseEventForm(CheckedForm):
    term = forms.ChoiceField(label="Event", choices=_choose("the event", TERMS))
    other_text = forms.CharField(label="Name of the event (when other)", max_length=200, required=False)
    onset_date = forms.DateField(label="Onset date", widget=DateInput)
    grade = forms.TypedChoiceField(
        label="Severity (CTCAE v5.0 grade)", choices=list(GRADES.items()), coerce=int, widget=forms.RadioSelect
    )
    serious = forms.TypedChoiceField(
        label="Serious (ICH E2A)",
        choices=[("yes", "Serious"), ("no", "Not serious")],
        coerce=_yes_no,
        widget=forms.RadioSelect,
        help_text="Seriousness is about the outcome, not the severity: tick the criteria.",
    )
    seriousness_criteria = forms.MultipleChoiceField(
        label="Seriousness criteria",
        choices=list(SERIOUSNESS_CRITERIA.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    relatedness = forms.ChoiceField(
        label="Related to the treatment as a whole (WHO-UMC)", choices=_choose("the relatedness", RELATEDNESS)
    )
    relatedness_harvest = forms.ChoiceField(
        label="Related to the harvest", choices=_OPTIONAL_RELATEDNESS, required=False
    )
    relatedness_injection = forms.ChoiceField(
        label="Related to the injection", choices=_OPTIONAL_RELATEDNESS, required=False
    )
    relatedness_product = forms.ChoiceField(
        label="Related to the cell product", choices=_OPTIONAL_RELATEDNESS, required=False
    )
    action_taken = forms.ChoiceField(label="Action taken", choices=_choose("the action taken", ACTIONS))
    outcome = forms.ChoiceField(label="Outcome", choices=_choose("the outcome", OUTCOMES))
    resolution_date = forms.DateField(label="Resolution date", widget=DateInput, required=False)
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False
    )


class ReinterventionForm(CheckedForm):
    performed_on = forms.DateField(label="Date", widget=DateInput)
    type = forms.ChoiceField(label="Procedure", choices=list(REINTERVENTION_TYPES.items()))
    joint = forms.CharField(label="Joint", max_length=16, required=False, help_text="Default: the treated joint")
    side = forms.ChoiceField(
        label="Side", choices=[("", "the treated side"), ("left", "left"), ("right", "right")], required=False
    )
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, required=False)


class AdverseEventAmendForm(AdverseEventForm):
    """The whole event as recorded, to correct (a reason is needed), or to follow to its resolution."""

    reason = forms.CharField(label="Reason for the change", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    expected_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class AdverseEventRetractForm(CheckedForm):
    reason = forms.CharField(
        label="Why was this event entered in error?", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    expected_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
