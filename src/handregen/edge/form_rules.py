"""The base of every staff and portal form: the shared input rules, each refusal next to its field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django import forms

from handregen.errors import InvalidInput
from handregen.input_rules import control_character_problem, date_range_problem


class CheckedForm(forms.Form):
    """A form whose text holds no control characters and whose dates fall in the years a clinic records."""

    def full_clean(self) -> None:
        super().full_clean()
        if not hasattr(self, "cleaned_data"):  # an unbound form: nothing to check
            return
        for name, value in list(self.cleaned_data.items()):
            problem = _problem(value)
            if problem:
                self.add_error(name, f"{self.fields[name].label or name.replace('_', ' ')} {problem}.")


def _problem(value: object) -> str | None:
    if isinstance(value, str):
        return control_character_problem(value)
    if isinstance(value, dt.date):  # a datetime is a date too
        return date_range_problem(value)
    if isinstance(value, list | tuple):
        return next((p for p in map(_problem, value) if p), None)
    return None


def add_form_errors(form: forms.Form, error: InvalidInput, aliases: Mapping[str, str] | None = None) -> None:
    """Put a service's input errors on the form's fields (`aliases` maps a service's names to the form's); an
    error of a field the form does not have goes to the form's top, in its own words (no field code)."""
    for field, message in error.errors:
        name = (aliases or {}).get(field, field)
        form.add_error(name if name in form.fields else None, message)
