"""Staff pages (the full web app grows here)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from handregen.accounts.roles import Permission
from handregen.pathway.selectors import episodes_by_stage
from handregen.pathway.stages import STAGE_LABELS, Stage
from handregen.web.access import staff_page


@staff_page
def home(request: HttpRequest) -> HttpResponse:
    """The site's episodes by stage; roles without access to patients see a plain note instead."""
    actor = request.actor  # type: ignore[attr-defined]
    groups = []
    if actor.can(Permission.PATIENT_VIEW):
        for stage, episodes in episodes_by_stage(actor=actor).items():
            groups.append({"stage": stage, "label": STAGE_LABELS[Stage(stage)], "episodes": episodes})
    return render(request, "web/home.html", {"groups": groups, "can_view": actor.can(Permission.PATIENT_VIEW)})
