"""Procedure-room pages: record the harvest; verify product and wristband at the bedside and inject."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from handregen.accounts.actor import Actor
from handregen.cellproducts.models import Donor
from handregen.edge.access import StaffRequest, staff_page
from handregen.edge.form_rules import add_form_errors
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.models import Episode
from handregen.procedures import services
from handregen.procedures.forms import HarvestForm, InjectionForm


def _episode(request: StaffRequest, episode_id: uuid.UUID) -> tuple[Actor, Episode]:
    actor = request.actor
    try:
        return actor, pathway_selectors.episode_get(actor=actor, episode_id=episode_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc


DONOR_ALIAS = {"donor_id": "donor"}  # the service names the donor by id, the form by choice


@staff_page
def harvest(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor, episode = _episode(request, episode_id)
    donors = list(Donor.objects.filter(site=actor.site).order_by("code"))
    form = HarvestForm(request.POST or None, donors=donors)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["donor"] = data["donor"] or None
        try:
            record = services.harvest_record(actor=actor, episode=episode, **data)
        except InvalidInput as exc:
            add_form_errors(form, exc, DONOR_ALIAS)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, f"Harvest recorded; product {record.product.code}. Print its label now.")
            return redirect("cellproducts:product", record.product_id)
    return render(request, "procedures/harvest.html", {"episode": episode, "form": form, "reasons": reasons})


@staff_page
def injection(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor, episode = _episode(request, episode_id)
    form = InjectionForm(request.POST or None, episode=episode)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            record = services.injection_record(actor=actor, episode=episode, **form.cleaned_data)
        except InvalidInput as exc:
            add_form_errors(form, exc, DONOR_ALIAS)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, f"Verified and recorded: product {record.product.code} injected.")
            return redirect("web:episode", episode.pk)
    return render(request, "procedures/injection.html", {"episode": episode, "form": form, "reasons": reasons})
