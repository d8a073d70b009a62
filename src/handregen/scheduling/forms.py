"""Forms of the calendar pages: booking, moving, cancelling, and the site admin's set-up."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from handregen.edge.form_rules import CheckedForm
from handregen.scheduling.models import Resource
from handregen.scheduling.selectors import Window
from handregen.scheduling.slots import KINDS, RESOURCE_KINDS, ROOM_KINDS, WEEKDAYS

_DATE = forms.DateInput(attrs={"type": "date"})
_TIME = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")


def _choices(resources: list[Resource], kind: str, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [
        (str(r.pk), r.name if kind != "room" else f"{r.name} ({ROOM_KINDS[r.room_kind].lower()})")
        for r in resources
        if r.kind == kind
    ]


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class BookingForm(CheckedForm):
    kind = forms.ChoiceField(
        label="Appointment", choices=[("", "Choose…"), *((k.code, k.label) for k in KINDS.values())]
    )
    day = forms.DateField(label="Date", widget=_DATE)
    start = forms.TimeField(
        label="Start time", widget=_TIME, help_text="On the quarter hour. A procedure day starts with the harvest."
    )
    clinician = forms.ChoiceField(label="Clinician")
    room = forms.ChoiceField(label="Room")
    timepoint = forms.ChoiceField(label="Follow-up time point (follow-up visit only)", required=False)
    outside_window_reason = forms.CharField(
        label="Reason, if the visit is outside its window",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    injection = forms.TimeField(
        label="Injection time (procedure day only; three hours after the start if left empty)",
        required=False,
        widget=_TIME,
    )
    tentative = forms.BooleanField(
        label="Hold the procedure day tentatively (before eligibility and consent)",
        required=False,
        help_text="A procedure day is firm only once the patient is eligible and has signed a valid consent; a "
        "tentative one is marked as such on every list until then.",
    )

    def __init__(self, *args: Any, resources: list[Resource], windows: list[Window], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _set_choices(self, "clinician", _choices(resources, "clinician", "Choose…"))
        _set_choices(self, "room", _choices(resources, "room", "Choose…"))
        _set_choices(
            self,
            "timepoint",
            [("", "—")] + [(w.code, f"{w.label}: {w.due_from:%-d %b} to {w.due_until:%-d %b %Y}") for w in windows],
        )

    def starts_at(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.cleaned_data["day"], self.cleaned_data["start"], tzinfo=zone)

    def injection_at(self, zone: ZoneInfo) -> datetime | None:
        injection = self.cleaned_data.get("injection")
        return datetime.combine(self.cleaned_data["day"], injection, tzinfo=zone) if injection else None


class MoveForm(CheckedForm):
    day = forms.DateField(label="New date", widget=_DATE)
    start = forms.TimeField(label="New start time", widget=_TIME)
    reason = forms.CharField(label="Why it moves", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    outside_window_reason = forms.CharField(
        label="Reason, if the visit is now outside its window", required=False, max_length=2000
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def starts_at(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.cleaned_data["day"], self.cleaned_data["start"], tzinfo=zone)


class CancelForm(CheckedForm):
    reason = forms.CharField(label="Why it is cancelled", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ResourceForm(CheckedForm):
    kind = forms.ChoiceField(label="What it is", choices=[("", "Choose…"), *RESOURCE_KINDS.items()])
    name = forms.CharField(label="Name people know it by", max_length=120)
    room_kind = forms.ChoiceField(
        label="Kind of room (rooms only)", required=False, choices=[("", "—"), *ROOM_KINDS.items()]
    )
    daily_capacity = forms.IntegerField(
        label="Products the lab can process a day (cell lab only)", required=False, min_value=1, max_value=50
    )


class HoursForm(CheckedForm):
    resource = forms.ChoiceField(label="Resource")
    weekday = forms.TypedChoiceField(label="Day", coerce=int, choices=list(enumerate(WEEKDAYS)))
    opens = forms.TimeField(label="Opens", required=False, widget=_TIME, help_text="Leave both empty to close the day")
    closes = forms.TimeField(label="Closes", required=False, widget=_TIME)

    def __init__(self, *args: Any, resources: list[Resource], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _set_choices(self, "resource", [(str(r.pk), r.name) for r in resources])


class ClosureForm(CheckedForm):
    resource = forms.ChoiceField(label="Resource", required=False)
    starts_on = forms.DateField(label="First closed day", widget=_DATE)
    ends_on = forms.DateField(label="Last closed day", widget=_DATE)
    reason = forms.CharField(label="Why", max_length=200)

    def __init__(self, *args: Any, resources: list[Resource], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _set_choices(self, "resource", [("", "The whole clinic")] + [(str(r.pk), r.name) for r in resources])


class SlotLengthForm(CheckedForm):
    kind = forms.ChoiceField(label="Appointment", choices=[(k.code, k.label) for k in KINDS.values()])
    minutes = forms.IntegerField(label="Minutes", min_value=15, max_value=720, step_size=15)
