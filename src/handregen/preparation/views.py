"""Staff pages: the patient's preparation instructions (printable) and the day-of checklist."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from handregen.consent.selectors import consent_refusals
from handregen.edge.access import StaffRequest, staff_page
from handregen.errors import GuardRefused, InvalidInput
from handregen.evaluation.views import episode_for_page
from handregen.preparation import selectors, services
from handregen.preparation.forms import ChecklistForm, InstructionsDateForm
from handregen.scheduling.selectors import booked_procedure_day


@staff_page
def checklist(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor, episode = episode_for_page(request, episode_id)
    items = episode.protocol.definition.checklist
    form = ChecklistForm(request.POST or None, items=items, derived=(services.CONSENT_ITEM,))
    consent_state = consent_refusals(episode=episode)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.preparation_complete(
                actor=actor, episode=episode, checklist=form.checklist(), notes=form.cleaned_data["notes"]
            )
        except InvalidInput as exc:
            for field, message in exc.errors:
                form.add_error(None, f"{field}: {message}")
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, "Checklist complete: the patient is prepared.")
            return redirect("web:episode", episode.pk)
    return render(
        request,
        "preparation/checklist.html",
        {
            "episode": episode,
            "form": form,
            "reasons": reasons,
            "instructions": selectors.instructions_for(actor=actor, episode=episode),
            "completed": selectors.checklist_for_cycle(episode=episode),
            "consent_label": dict(items).get(services.CONSENT_ITEM, ""),
            "consent_reasons": consent_state,
        },
    )


@staff_page
def instructions(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """The patient's instructions on one printable page, with the stop dates counted from the booked procedure day
    (or, while none is booked, from a date typed here)."""
    actor, episode = episode_for_page(request, episode_id)
    form = InstructionsDateForm(request.GET or None)
    procedure_date = form.cleaned_data["procedure_date"] if form.is_valid() else None
    return render(
        request,
        "preparation/instructions.html",
        {
            "episode": episode,
            "form": form,
            "instructions": selectors.instructions_for(actor=actor, episode=episode, procedure_date=procedure_date),
            "booked": booked_procedure_day(episode=episode),
        },
    )
