"""The cohort dashboard's filter form."""

from __future__ import annotations

from django import forms

from handregen.analytics.dataset import CohortFilters
from handregen.edge.form_rules import CheckedForm
from handregen.pathway.models import INDICATIONS

ANY = [("", "any")]
INSTRUMENTS = [
    ("nrs", "Pain (NRS)"),
    ("quickdash", "QuickDASH"),
    ("prwe", "PRWE"),
    ("mhq", "MHQ"),
    ("fihoa", "FIHOA"),
    ("grip", "Grip strength"),
]


class CohortForm(CheckedForm):
    instrument = forms.ChoiceField(label="Measure", choices=INSTRUMENTS, initial="nrs")
    missing = forms.ChoiceField(
        label="Patients not assessed",
        initial="complete_case",
        choices=[("complete_case", "left out (complete case)"), ("non_responder", "counted as non-responders")],
    )
    indication = forms.ChoiceField(label="Indication", choices=ANY + INDICATIONS, required=False)
    stage = forms.ChoiceField(
        label="Stage at baseline",
        required=False,
        choices=ANY
        + [(s, f"Eaton-Littler {s}") for s in ("I", "II", "III", "IV")]
        + [(f"KL{g}", f"Kellgren-Lawrence {g}") for g in range(5)],
    )
    source = forms.ChoiceField(
        label="Cell source",
        required=False,
        choices=[*ANY, ("adipose", "fat (adipose)"), ("bone_marrow", "bone marrow")],
    )
    sex = forms.ChoiceField(label="Sex", required=False, choices=[*ANY, ("female", "female"), ("male", "male")])
    age_band = forms.ChoiceField(
        label="Age", required=False, choices=ANY + [(b, b) for b in ("<40", "40-49", "50-59", "60-69", "70-79", "80+")]
    )

    include_synthetic = forms.BooleanField(label="Include synthetic (made-up) patients", required=False, initial=False)

    def filters(self) -> CohortFilters:
        data = self.cleaned_data
        return CohortFilters(**{k: (data.get(k) or None) for k in ("indication", "stage", "source", "sex", "age_band")})
