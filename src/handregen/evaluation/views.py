"""Staff pages: record the consultation (history, examination, imaging, baseline) and decide candidacy."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from handregen.accounts.actor import Actor
from handregen.edge.access import StaffRequest, staff_page
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.evaluation import codes, selectors, services
from handregen.evaluation.eligibility import FROM_AGE, derive
from handregen.evaluation.forms import (
    KIND_WORDS,
    CandidacyForm,
    ConsultationForm,
    ImagingFormSet,
    MedicationFormSet,
    PriorTreatmentFormSet,
    filled_rows,
)
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.models import Episode

_ROW = re.compile(r"^(?P<set>\w+)\[(?P<i>\d+)\]\.(?P<field>\w+)$")


def episode_for_page(request: StaffRequest, episode_id: uuid.UUID) -> tuple[Actor, Episode]:
    actor = request.actor
    try:
        return actor, pathway_selectors.episode_get(actor=actor, episode_id=episode_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc


def place_errors(error: InvalidInput, form: Any, formsets: dict[str, Any]) -> None:
    """Put each (field, message) from a service next to its field: `imaging[1].date` on the imaging row 2."""
    for field, message in error.errors:
        row = _ROW.match(field)
        if row and row["set"] in formsets:
            rows = [f for f in formsets[row["set"]].forms if f.has_changed()]
            index = int(row["i"])
            if index < len(rows):
                target = rows[index]
                target.add_error(row["field"] if row["field"] in target.fields else None, message)
                continue
        name = field.split(".")[-1]
        if name in form.fields:
            form.add_error(name, message)
        else:
            form.add_error(None, f"{field}: {message}")


@staff_page
def consultation(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor, episode = episode_for_page(request, episode_id)
    patient = episode.patient
    data = request.POST if request.method == "POST" else None
    form = ConsultationForm(
        data,
        initial={
            "seen_on": actor.site.today(),
            "affected_joints": ", ".join(episode.target_joints),
            "affected_side": episode.side,
            "dominant_hand": patient.dominant_hand,
            "occupation": patient.occupation,
        },
    )
    formsets: dict[str, Any] = {
        "prior_treatments": PriorTreatmentFormSet(data, prefix="treatment"),
        "medications": MedicationFormSet(data, prefix="medication"),
        "imaging": ImagingFormSet(data, prefix="imaging"),
    }
    reasons: list[str] = []
    if data is not None and form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
        try:
            services.consultation_record(
                actor=actor,
                episode=episode,
                **form.service_data(),
                prior_treatments=filled_rows(formsets["prior_treatments"], "kind"),
                medications=filled_rows(formsets["medications"], "name"),
                imaging=filled_rows(formsets["imaging"], "modality"),
            )
        except InvalidInput as exc:
            place_errors(exc, form, formsets)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, "Consultation recorded.")
            return redirect("evaluation:candidacy", episode.pk)
    return render(
        request,
        "evaluation/consultation.html",
        {"episode": episode, "form": form, "formsets": formsets, "reasons": reasons, **definitions()},
    )


def definitions() -> dict[str, Any]:
    return {
        "kl_grades": codes.KL_GRADES,
        "kl_source": codes.KL_SOURCE,
        "eaton_littler": codes.EATON_LITTLER,
        "eaton_littler_note": codes.EATON_LITTLER_NOTE,
    }


@staff_page
def candidacy(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor, episode = episode_for_page(request, episode_id)
    definition = episode.protocol.definition
    found = selectors.evaluation_of(actor=actor, episode=episode)
    facts = services.record_facts(episode=episode, consultation=found["consultation"], today=actor.site.today())
    derived = {
        c.code: d
        for c in definition.criteria
        if (c.derived_from or c.code in FROM_AGE) and (d := derive(c, facts)) is not None
    }
    form = CandidacyForm(request.POST or None, protocol=definition, derived=derived)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.candidacy_decide(
                actor=actor,
                episode=episode,
                criteria=form.criteria(),
                decision=form.cleaned_data["decision"],
                rationale=form.cleaned_data["rationale"],
                **form.signer(),
            )
        except InvalidInput as exc:
            for field, message in exc.errors:
                name = "c_" + field.split(".", 1)[1] if field.startswith("criteria.") else field
                form.add_error(name if name in form.fields else None, message)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, f"Candidacy decided: {form.cleaned_data['decision']}.")
            return redirect("web:episode", episode.pk)
    criteria = [
        {"code": c.code, "label": c.label, "kind": KIND_WORDS[c.kind], "derived": derived.get(c.code),
         "window_days": c.window_days, "confirmed": c.confirmed}
        for c in definition.criteria
    ]  # fmt: skip
    return render(
        request,
        "evaluation/candidacy.html",
        {
            "episode": episode,
            "form": form,
            "reasons": reasons,
            "criteria": criteria,
            "consultation": found["consultation"],
            "imaging": found["imaging"],
            **definitions(),
        },
    )
