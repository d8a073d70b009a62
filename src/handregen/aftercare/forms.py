"""Staff forms for post-procedure care and a further treatment cycle."""

from __future__ import annotations

from typing import Any

from django import forms

from handregen.aftercare.monitoring import RANGES, SITE_STATES
from handregen.edge.form_rules import CheckedForm

OBSERVATIONS = 2  # after the procedure and before discharge; the API takes any number
_SITE_CHOICES = [("", "—"), *SITE_STATES.items()]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


def _number(label: str, name: str) -> forms.Field:
    low, high, whole, unit = RANGES[name]
    text = f"{label} ({unit})"
    if whole:
        return forms.IntegerField(label=text, min_value=int(low), max_value=int(high), required=False)
    return forms.FloatField(label=text, min_value=low, max_value=high, required=False)


class PostCareForm(CheckedForm):
    """Two monitoring observations, the discharge time and the instructions given."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for n in range(1, OBSERVATIONS + 1):
            when = "after the procedure" if n == 1 else "before discharge"
            self.fields[f"obs{n}_at"] = forms.DateTimeField(
                label=f"Observation {n} ({when}): time",
                required=n == 1,
                widget=DateTimeInput,
                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
            )
            self.fields[f"obs{n}_pain_nrs"] = _number("Pain 0-10", "pain_nrs")
            self.fields[f"obs{n}_heart_rate"] = _number("Heart rate", "heart_rate")
            self.fields[f"obs{n}_systolic_bp"] = _number("Blood pressure, systolic", "systolic_bp")
            self.fields[f"obs{n}_diastolic_bp"] = _number("Blood pressure, diastolic", "diastolic_bp")
            self.fields[f"obs{n}_temperature_c"] = _number("Temperature", "temperature_c")
            self.fields[f"obs{n}_injection_site"] = forms.ChoiceField(
                label="Injection site", choices=_SITE_CHOICES, required=False
            )
            self.fields[f"obs{n}_harvest_site"] = forms.ChoiceField(
                label="Harvest site", choices=_SITE_CHOICES, required=False
            )
            self.fields[f"obs{n}_note"] = forms.CharField(label="Note", max_length=500, required=False)
        self.fields["discharged_at"] = forms.DateTimeField(
            label="Discharged at", widget=DateTimeInput, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        )
        self.fields["instructions_given"] = forms.BooleanField(
            label="After-care instructions given and explained (printed sheet handed over)", required=False
        )

    def observations(self) -> list[dict[str, Any]]:
        rows = []
        for n in range(1, OBSERVATIONS + 1):
            row = {
                key[len(f"obs{n}_") :]: value
                for key, value in self.cleaned_data.items()
                if key.startswith(f"obs{n}_") and value not in (None, "")
            }
            if row:
                rows.append(row)
        return rows

    def observation_groups(self) -> list[list[forms.BoundField]]:
        return [[self[name] for name in self.fields if name.startswith(f"obs{n}_")] for n in range(1, OBSERVATIONS + 1)]


class RepeatCycleForm(CheckedForm):
    reason = forms.CharField(
        label="Why a further treatment cycle?", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
