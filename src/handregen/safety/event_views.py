"""One adverse event's page: what is recorded now, every version, amend or follow to resolution (with a reason),
and retract as entered in error. A stale save shows both values and keeps what was typed."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from handregen.accounts.roles import Permission
from handregen.edge.access import StaffRequest, staff_page
from handregen.edge.versioning import at_current_version, conflict_rows
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.safety import selectors
from handregen.safety.forms import AdverseEventAmendForm, AdverseEventRetractForm
from handregen.safety.models import AdverseEvent
from handregen.safety.services import AMENDABLE, adverse_event_amend, adverse_event_retract
from handregen.versions import StaleVersion

OPTIONAL_RELATEDNESS = ("relatedness_harvest", "relatedness_injection", "relatedness_product")


def _recorded(event: AdverseEvent) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in AMENDABLE}
    values["serious"] = "yes" if event.serious else "no"
    for name in ("onset_date", "resolution_date"):  # a date field shows only ISO dates
        values[name] = values[name].isoformat() if values[name] else ""
    return values | {"expected_version": event.version}


def _changes(form: AdverseEventAmendForm) -> dict[str, Any]:
    data = {name: form.cleaned_data[name] for name in AMENDABLE}
    for name in OPTIONAL_RELATEDNESS:
        data[name] = data[name] or ""
    return data


@staff_page
def event(request: StaffRequest, adverse_event_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    try:
        found = selectors.adverse_event_get(actor=actor, adverse_event_id=adverse_event_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc
    retracting = request.method == "POST" and "retract" in request.POST
    amend = AdverseEventAmendForm(
        request.POST if request.method == "POST" and not retracting else None, initial=_recorded(found)
    )
    retract = AdverseEventRetractForm(request.POST if retracting else None, initial={"expected_version": found.version})
    reasons: list[str] = []
    conflict: list[dict[str, Any]] = []
    form = retract if retracting else amend
    if request.method == "POST" and form.is_valid():
        try:
            if retracting:
                adverse_event_retract(
                    actor=actor,
                    adverse_event=found,
                    reason=retract.cleaned_data["reason"],
                    expected_version=retract.cleaned_data["expected_version"],
                )
            else:
                adverse_event_amend(
                    actor=actor,
                    adverse_event=found,
                    changes=_changes(amend),
                    reason=amend.cleaned_data["reason"],
                    expected_version=amend.cleaned_data["expected_version"],
                )
        except StaleVersion as exc:
            reasons = exc.reasons
            conflict = conflict_rows(exc, {} if retracting else _changes(amend))
            renewed = at_current_version(request.POST, exc)
            form = type(form)(renewed)
            form.is_valid()
            amend, retract = (amend, form) if retracting else (form, retract)  # type: ignore[assignment]
            found.refresh_from_db()
        except InvalidInput as exc:
            for field, message in exc.errors:
                form.add_error(field if field in form.fields else None, message)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, "Adverse event retracted." if retracting else "Adverse event updated.")
            return redirect("safety:event", found.pk)
    editable = actor.can(Permission.ADVERSE_EVENT_RECORD) and found.retracted_at is None
    return render(
        request,
        "safety/event.html",
        {
            "event": found,
            "episode": found.episode,
            "versions": selectors.adverse_event_versions(event=found),
            "amend": amend,
            "retract": retract,
            "reasons": reasons,
            "conflict": conflict,
            "editable": editable,
        },
    )
