"""Staff forms for the consultation (with rows for prior treatments, medicines and imaging) and for candidacy."""

from __future__ import annotations

from typing import Any

from django import forms

from handregen.edge.form_rules import CheckedForm
from handregen.evaluation import codes
from handregen.evaluation.eligibility import Derived
from handregen.pathway.protocol import Protocol
from handregen.signatures.forms import SignerFields

KIND_WORDS = {"inclusion": "Inclusion", "hard_exclusion": "Hard exclusion", "soft_flag": "Soft flag"}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None):
        # A date field only shows a value written as ISO 8601, whatever the site's locale (en-GB writes 29/11/2026).
        super().__init__(attrs, format=format or "%Y-%m-%d")


def _blank(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class ConsultationForm(CheckedForm):
    seen_on = forms.DateField(label="Date seen", widget=DateInput)
    complaint = forms.CharField(
        label="Complaint (in the patient's words)", max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    symptoms = forms.MultipleChoiceField(
        label="Symptoms", choices=codes.SYMPTOMS, required=False, widget=forms.CheckboxSelectMultiple
    )
    symptom_duration_months = forms.IntegerField(
        label="Duration of symptoms (months)", min_value=0, max_value=1200, required=False
    )
    affected_joints = forms.CharField(label="Affected joints (codes, comma-separated, e.g. CMC1, PIP2)", max_length=200)
    affected_side = forms.ChoiceField(label="Affected side", choices=codes.AFFECTED_SIDES)
    dominant_hand = forms.ChoiceField(
        label="Dominant hand", choices=[("left", "left"), ("right", "right"), ("ambidextrous", "ambidextrous")]
    )
    occupation = forms.CharField(label="Occupation", max_length=120, required=False)
    comorbidities = forms.MultipleChoiceField(
        label="Comorbidities", choices=codes.COMORBIDITIES, required=False, widget=forms.CheckboxSelectMultiple
    )
    comorbidity_notes = forms.CharField(
        label="Comorbidity notes", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    tenderness = forms.BooleanField(label="Tender over the joint", required=False)
    swelling = forms.BooleanField(label="Swelling", required=False)
    deformity = forms.BooleanField(label="Deformity", required=False)
    subluxation = forms.BooleanField(label="Subluxation", required=False)
    grind_test = forms.ChoiceField(label="Grind test", choices=codes.GRIND_TEST, initial="not_done")
    findings = forms.CharField(
        label="Examination findings", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    nrs_pain_rest = forms.IntegerField(label="Pain at rest now (NRS 0-10)", min_value=0, max_value=10)
    nrs_pain_load = forms.IntegerField(label="Pain on load now (NRS 0-10)", min_value=0, max_value=10)
    grip_kg_affected = forms.DecimalField(
        label="Grip strength, affected hand (kg)", min_value=0, max_value=100, decimal_places=1, required=False
    )
    grip_kg_other = forms.DecimalField(
        label="Grip strength, other hand (kg)", min_value=0, max_value=100, decimal_places=1, required=False
    )

    EXAMINATION = ("tenderness", "swelling", "deformity", "subluxation", "grind_test", "findings")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["affected_joints"] = [j.strip() for j in data["affected_joints"].replace(";", ",").split(",") if j.strip()]
        data["examination"] = {name: data.pop(name) for name in self.EXAMINATION}
        return data


class PriorTreatmentForm(CheckedForm):
    kind = forms.ChoiceField(label="Treatment", choices=_blank(codes.PRIOR_TREATMENTS), required=False)
    date = forms.DateField(label="Date (needed for injections and surgery)", required=False, widget=DateInput)
    joint = forms.CharField(label="Joint (e.g. CMC1)", max_length=16, required=False)
    side = forms.ChoiceField(label="Side", choices=_blank([("left", "left"), ("right", "right")]), required=False)
    notes = forms.CharField(label="Notes", max_length=1000, required=False)


class MedicationForm(CheckedForm):
    name = forms.CharField(label="Medicine", max_length=120, required=False)
    drug_class = forms.ChoiceField(label="Class", choices=_blank(codes.DRUG_CLASSES), required=False)
    dose = forms.CharField(label="Dose", max_length=120, required=False)


class ImagingForm(CheckedForm):
    modality = forms.ChoiceField(label="Modality", choices=_blank(codes.MODALITIES), required=False)
    date = forms.DateField(label="Date of the study", required=False, widget=DateInput)
    joint = forms.CharField(label="Joint (e.g. CMC1)", max_length=16, required=False)
    findings = forms.CharField(
        label="Findings", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    kl_grade = forms.TypedChoiceField(
        label="Kellgren-Lawrence grade",
        required=False,
        coerce=int,
        empty_value=None,
        choices=_blank([(str(g), f"{g} — {text}") for g, text in codes.KL_GRADES.items()]),
    )
    kl_definition = forms.ChoiceField(
        label="KL grade 2 wording used", choices=codes.KL_DEFINITIONS, initial="possible_narrowing"
    )
    eaton_littler_stage = forms.ChoiceField(
        label="Eaton-Littler stage (thumb base only)",
        required=False,
        choices=_blank([(s, f"{s} — {text}") for s, text in codes.EATON_LITTLER.items()]),
    )


PriorTreatmentFormSet = forms.formset_factory(PriorTreatmentForm, extra=4, max_num=50)
MedicationFormSet = forms.formset_factory(MedicationForm, extra=4, max_num=50)
ImagingFormSet = forms.formset_factory(ImagingForm, extra=2, max_num=20)


def filled_rows(formset: Any, key: str) -> list[dict[str, Any]]:
    """The rows of a formset that have their key field filled (empty rows are ignored)."""
    return [dict(f.cleaned_data) for f in formset.forms if f.cleaned_data.get(key)]


ANSWERS = [("yes", "Yes"), ("no", "No")]


class CandidacyForm(SignerFields):
    decision = forms.ChoiceField(label="Decision", choices=codes.CANDIDACY_DECISIONS, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label="Rationale (required when not eligible or deferred, and for any soft flag present)",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, protocol: Protocol, derived: dict[str, Derived], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        self.derived = derived
        for criterion in protocol.criteria:
            if criterion.code in derived:
                continue  # read from the record, shown beside the form, not typed twice
            self.fields[f"c_{criterion.code}"] = forms.ChoiceField(
                label=f"{KIND_WORDS[criterion.kind]}: {criterion.label}",
                choices=ANSWERS,
                widget=forms.RadioSelect,
                help_text=criterion.source,
            )
        self.order_fields(
            [name for name in self.fields if name.startswith("c_")] + ["decision", "rationale", "password", "otp_code"]
        )

    def criteria(self) -> dict[str, bool]:
        return {name[2:]: value == "yes" for name, value in self.cleaned_data.items() if name.startswith("c_")}
