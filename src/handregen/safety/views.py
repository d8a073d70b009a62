"""Staff pages: an episode's adverse events and re-interventions, their forms, and the physician's alerts."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from handregen.accounts.roles import Permission
from handregen.edge.access import StaffRequest, staff_page
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.models import Episode
from handregen.safety import selectors
from handregen.safety.forms import AdverseEventForm, ReinterventionForm
from handregen.safety.services import adverse_event_record, alert_acknowledge, reintervention_record


def _episode(request: StaffRequest, episode_id: uuid.UUID) -> Episode:
    try:
        return pathway_selectors.episode_get(actor=request.actor, episode_id=episode_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc


def _errors(form: AdverseEventForm | ReinterventionForm, error: InvalidInput) -> None:
    for field, message in error.errors:
        form.add_error(field if field in form.fields else None, message)


@staff_page
def episode_events(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    episode = _episode(request, episode_id)
    return render(
        request,
        "safety/episode_events.html",
        {
            "episode": episode,
            "events": selectors.episode_adverse_events(actor=actor, episode=episode),
            "reinterventions": selectors.episode_reinterventions(actor=actor, episode=episode),
            "can_record_event": actor.can(Permission.ADVERSE_EVENT_RECORD),
            "can_record_reintervention": actor.can(Permission.FOLLOW_UP_RECORD),
        },
    )


@staff_page
def event_new(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    episode = _episode(request, episode_id)
    form = AdverseEventForm(request.POST or None)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        for name in ("relatedness_harvest", "relatedness_injection", "relatedness_product"):
            data[name] = data[name] or None
        try:
            event = adverse_event_record(actor=actor, episode=episode, **data)
        except InvalidInput as exc:
            _errors(form, exc)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            note = " The responsible physician has been alerted." if event.serious else ""
            messages.success(request, f"Adverse event recorded: {event.term_label}.{note}")
            return redirect("safety:episode-events", episode.pk)
    return render(request, "safety/event_new.html", {"episode": episode, "form": form, "reasons": reasons})


@staff_page
def reintervention_new(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    episode = _episode(request, episode_id)
    form = ReinterventionForm(request.POST or None)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            reintervention_record(actor=actor, episode=episode, **form.cleaned_data)
        except InvalidInput as exc:
            _errors(form, exc)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, "Re-intervention recorded.")
            return redirect("safety:episode-events", episode.pk)
    return render(request, "safety/reintervention_new.html", {"episode": episode, "form": form, "reasons": reasons})


@staff_page
def alerts(request: StaffRequest) -> HttpResponse:
    try:
        rows = selectors.alerts_open_for(actor=request.actor)
    except Forbidden as exc:
        raise Http404 from exc
    return render(request, "safety/alerts.html", {"alerts": rows})


@staff_page
def alert(request: StaffRequest, alert_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    try:
        found = selectors.alert_get(actor=actor, alert_id=alert_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc
    reasons: list[str] = []
    if request.method == "POST":
        try:
            alert_acknowledge(actor=actor, alert=found)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, "Marked as reviewed.")
            return redirect("safety:alerts")
    return render(request, "safety/alert.html", {"alert": found, "event": found.adverse_event, "reasons": reasons})
