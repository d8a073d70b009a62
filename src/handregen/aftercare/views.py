"""Staff pages: post-procedure care and discharge, the printable after-care sheet, a further cycle."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from handregen.aftercare.forms import PostCareForm, RepeatCycleForm
from handregen.aftercare.models import PostCareRecord
from handregen.aftercare.selectors import aftercare_sheet
from handregen.aftercare.services import episode_repeat_cycle, post_care_record
from handregen.edge.access import StaffRequest, staff_page
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.models import Episode


def _episode(request: StaffRequest, episode_id: uuid.UUID) -> Episode:
    try:
        return pathway_selectors.episode_get(actor=request.actor, episode_id=episode_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc


def _form_errors(form: PostCareForm, error: InvalidInput) -> None:
    for field, message in error.errors:
        parts = field.split(".")
        if parts[0] == "monitoring" and len(parts) == 3 and parts[1].isdigit():
            name = f"obs{int(parts[1]) + 1}_{parts[2]}"
            if name in form.fields:
                form.add_error(name, message)
                continue
        form.add_error(field if field in form.fields else None, f"{field}: {message}")


@staff_page
def post_care(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """Monitoring, discharge and instructions; on success the episode enters follow-up."""
    actor = request.actor
    episode = _episode(request, episode_id)
    now = timezone.localtime(timezone.now(), episode.site.zone).strftime("%Y-%m-%dT%H:%M")
    form = PostCareForm(request.POST or None, initial={"obs1_at": now, "discharged_at": now})
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            post_care_record(
                actor=actor,
                episode=episode,
                monitoring=form.observations(),
                discharged_at=form.cleaned_data["discharged_at"],
                instructions_given=form.cleaned_data["instructions_given"],
            )
        except GuardRefused as exc:
            reasons = exc.reasons
        except InvalidInput as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "Discharged; the follow-up time points are scheduled.")
            return redirect("outcomes:episode-follow-ups", episode.pk)
    return render(
        request,
        "aftercare/post_care.html",
        {
            "episode": episode,
            "form": form,
            "reasons": reasons,
            "sheet": aftercare_sheet(episode=episode),
        },
    )


@staff_page
def sheet(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """The after-care sheet to print and hand to the patient (no staff navigation on the page)."""
    episode = _episode(request, episode_id)
    content = aftercare_sheet(episode=episode)
    record = PostCareRecord.objects.filter(episode=episode, cycle=episode.cycle).first()
    splint_until = None
    if record is not None and record.injected_at and content.get("splint_days"):
        injected = timezone.localtime(record.injected_at, episode.site.zone).date()
        splint_until = injected + timedelta(days=int(content["splint_days"]))
    return render(
        request,
        "aftercare/sheet.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "site": episode.site,
            "sheet": content,
            "record": record,
            "splint_until": splint_until,
        },
    )


@staff_page
def repeat_cycle(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    episode = _episode(request, episode_id)
    form = RepeatCycleForm(request.POST or None)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            moved = episode_repeat_cycle(actor=actor, episode=episode, reason=form.cleaned_data["reason"])
        except GuardRefused as exc:
            reasons = exc.reasons
        except InvalidInput as exc:
            for field, message in exc.errors:
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"Treatment cycle {moved.cycle} started.")
            return redirect("web:episode", episode.pk)
    return render(request, "aftercare/repeat_cycle.html", {"episode": episode, "form": form, "reasons": reasons})
