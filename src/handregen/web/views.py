"""Staff pages: worklists, patients, episodes. Views parse, call one service or selector, and render."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from handregen.accounts.roles import Permission
from handregen.accounts.services import password_changed
from handregen.audit.selectors import break_glass_report
from handregen.edge.access import StaffRequest, staff_page
from handregen.edge.form_rules import add_form_errors
from handregen.edge.versioning import at_current_version, conflict_rows
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.services import episode_open, episode_withdraw
from handregen.pathway.stages import STAGE_LABELS, TRANSITIONS, Stage
from handregen.pathway.worklists import (
    WORKLISTS_BY_CODE,
    next_step,
    worklist_counts,
    worklist_episodes,
    worklists_for,
)
from handregen.patients.models import Patient
from handregen.patients.selectors import break_glass_grant_active, patient_get, patient_search
from handregen.patients.services import DEMOGRAPHIC_FIELDS, break_glass_open, patient_amend, patient_register
from handregen.signatures.selectors import episode_signature_views
from handregen.versions import StaleVersion
from handregen.web.actions import action_url
from handregen.web.episode_panels import episode_panels
from handregen.web.forms import (
    BreakGlassForm,
    EpisodeForm,
    PatientCorrectionForm,
    PatientForm,
    SearchForm,
    WithdrawForm,
)
from handregen.web.links import link_for_each


@staff_page
def home(request: StaffRequest) -> HttpResponse:
    """Worklists with their counts, the actor's own kind of work first."""
    actor = request.actor
    if not actor.can(Permission.PATIENT_VIEW):
        return render(
            request,
            "web/home.html",
            {
                "can_view": False,
                "can_export": actor.can(Permission.BULK_EXPORT),
                "can_see_cohort": actor.can(Permission.COHORT_VIEW_DEIDENTIFIED),
                "retention_hours": settings.HANDREGEN_BULK_RETENTION_HOURS,
                "max_running": settings.HANDREGEN_BULK_MAX_RUNNING_PER_USER,
            },
        )
    counts = worklist_counts(actor=actor)
    lists = [{"worklist": w, "count": counts[w.code], "own": actor.can(w.for_permission)} for w in worklists_for(actor)]
    return render(request, "web/home.html", {"can_view": True, "lists": lists})


@staff_page
def staff_health(request: StaffRequest) -> HttpResponse:
    """A health check behind the staff door: the same session, second-factor and site-role checks as every staff
    page, then a few bytes and no patient data (the web benchmark's fair baseline for the pages)."""
    return JsonResponse({"status": "ok", "site": request.actor.site.code})


@staff_page
def worklist(request: StaffRequest, code: str) -> HttpResponse:
    actor = request.actor
    chosen = WORKLISTS_BY_CODE.get(code)
    if chosen is None:
        raise Http404
    try:
        episodes = worklist_episodes(actor=actor, worklist=chosen)
    except Forbidden as exc:
        raise Http404 from exc
    page = Paginator(episodes, 50).get_page(request.GET.get("page"))
    link = link_for_each("web:episode")
    rows = [{"episode": e, "next": next_step(e.stage), "url": link(e.pk)} for e in page]
    return render(request, "web/worklist.html", {"worklist": chosen, "rows": rows, "page": page})


@staff_page
def patients(request: StaffRequest) -> HttpResponse:
    """Search by name or MRN. The words searched for travel in a POST and stay in the session, never in a URL
    (URLs end up in logs and browser history); the results page is then a plain GET."""
    actor = request.actor
    if request.method == "POST":
        posted = SearchForm(request.POST)
        request.session["patient_search"] = posted.cleaned_data["q"] if posted.is_valid() else ""
        return redirect("web:patients")
    q = request.session.get("patient_search", "")
    form = SearchForm(initial={"q": q})
    try:
        found = patient_search(actor=actor, q=q)
    except Forbidden as exc:
        raise Http404 from exc
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    link = link_for_each("web:patient")
    rows = [(p, link(p.pk)) for p in page]
    return render(
        request,
        "web/patients.html",
        {"form": form, "page": page, "rows": rows, "q": q, "can_register": actor.can(Permission.PATIENT_REGISTER)},
    )


@staff_page
def patient_new(request: StaffRequest) -> HttpResponse:
    actor = request.actor
    form = PatientForm(request.POST or None)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_register(actor=actor, **form.cleaned_data)
        except InvalidInput as exc:
            add_form_errors(form, exc)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, f"Registered {patient.display_name}.")
            return redirect("web:patient", patient.pk)
    return render(request, "web/patient_new.html", {"form": form, "reasons": reasons})


def _not_here(request: StaffRequest, patient_id: uuid.UUID | None = None) -> HttpResponse:
    """The 404 of a patient or episode that is not at this site (or not at all): the same page either way.

    A user who may break the glass gets the way to ask for emergency access; the form says nothing of the
    patient, and the request answers 404 as well for a patient that does not exist.
    """
    actor = request.actor
    offer = patient_id is not None and actor.can(Permission.BREAK_GLASS)
    return render(request, "web/not_here.html", {"break_glass_patient": patient_id if offer else None}, status=404)


@staff_page
def patient(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    try:
        found = patient_get(actor=actor, patient_id=patient_id, allow_break_glass=True)
    except (NotFound, Forbidden):
        return _not_here(request, patient_id)
    grant = None if found.site_id == actor.site.pk else break_glass_grant_active(actor=actor, patient_id=found.pk)
    form = EpisodeForm(request.POST or None)
    if grant is not None:  # read only: emergency access never writes
        if request.method == "POST":
            raise Http404
        return render(request, "web/patient.html", {"patient": found, "episodes": _episodes(found), "grant": grant})
    if request.method == "POST" and form.is_valid():
        try:
            episode = episode_open(actor=actor, patient=found, **form.cleaned_data)
        except InvalidInput as exc:
            add_form_errors(form, exc)
        else:
            return redirect("web:episode", episode.pk)
    return render(
        request,
        "web/patient.html",
        {"patient": found, "episodes": _episodes(found), "form": form, "can_open": actor.can(Permission.EPISODE_OPEN)},
    )


def _episodes(patient: Patient) -> Any:
    return patient.episodes.select_related("protocol").order_by("-created_at")


@staff_page
def break_glass(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Ask for emergency read access to a patient of another site: a reason first, then the record."""
    actor = request.actor
    if not actor.can(Permission.BREAK_GLASS):
        raise Http404
    form = BreakGlassForm(request.POST or None, initial={"minutes": 60})
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_open(actor=actor, patient_id=patient_id, **form.cleaned_data)
        except NotFound as exc:
            raise Http404 from exc
        except InvalidInput as exc:
            add_form_errors(form, exc)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            return redirect("web:patient", patient_id)
    return render(request, "web/break_glass.html", {"form": form, "reasons": reasons, "patient_id": patient_id})


@staff_page
def break_glass_report_page(request: StaffRequest) -> HttpResponse:
    """The site admin's list of every emergency opening of this site's patients."""
    actor = request.actor
    try:
        rows = break_glass_report(actor=actor)
    except Forbidden as exc:
        raise Http404 from exc
    return render(request, "web/break_glass_report.html", {"rows": rows})


@staff_page
def episode(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """One episode: where it stands, what may be done now, and every step so far."""
    actor = request.actor
    try:
        found = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, allow_break_glass=True)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc
    read_only = pathway_selectors.read_only_here(actor=actor, episode=found)
    actions = [
        {"code": a, "label": TRANSITIONS[a].label, "url": action_url(a, found)}
        for a in pathway_selectors.allowed_actions(actor=actor, episode=found)
    ]
    timeline = pathway_selectors.episode_timeline(actor=actor, episode=found)
    return render(
        request,
        "web/episode.html",
        {
            "episode": found,
            "patient": found.patient,
            "stage_label": STAGE_LABELS[Stage(found.stage)],
            "actions": actions,
            "timeline": timeline,
            "signatures": [] if read_only else episode_signature_views(found),
            "read_only": read_only,
            # The panels read through the actor's own site; under break-glass the page is the stage and timeline.
            **({} if read_only else episode_panels(actor=actor, episode=found)),
        },
    )


@staff_page
def episode_withdraw_page(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    try:
        found = pathway_selectors.episode_get(actor=actor, episode_id=episode_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc
    form = WithdrawForm(request.POST or None)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            episode_withdraw(actor=actor, episode=found, reason=form.cleaned_data["reason"])
        except GuardRefused as exc:
            reasons = exc.reasons
        except InvalidInput as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, "The episode was withdrawn.")
            return redirect("web:episode", found.pk)
    return render(request, "web/episode_withdraw.html", {"episode": found, "form": form, "reasons": reasons})


@staff_page
def password_change(request: StaffRequest) -> HttpResponse:
    """Change one's own password; the validators (15+ characters, not a common password) apply."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # keep this session; other sessions of the user end
        revoked = password_changed(user=user)
        messages.success(
            request,
            "Your password was changed."
            + (f" Your {revoked} API token(s) were revoked with the old password." if revoked else ""),
        )
        return redirect("web:home")
    return render(request, "web/password_change.html", {"form": form})


@staff_page
def patient_correct(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Correct a patient's demographics and contact details, with a reason and the version loaded."""
    actor = request.actor
    try:
        found = patient_get(actor=actor, patient_id=patient_id)
    except (NotFound, Forbidden):
        return _not_here(request, patient_id)
    recorded = {name: getattr(found, name) for name in DEMOGRAPHIC_FIELDS}
    # a date field shows only ISO dates
    shown = recorded | {"birth_date": found.birth_date.isoformat(), "expected_version": found.version}
    form = PatientCorrectionForm(request.POST or None, initial=shown)
    reasons: list[str] = []
    conflict: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        typed = {name: form.cleaned_data[name] for name in DEMOGRAPHIC_FIELDS}
        changes = {k: v for k, v in typed.items() if v != recorded[k]}
        try:
            patient_amend(
                actor=actor,
                patient=found,
                changes=changes,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["expected_version"],
            )
        except StaleVersion as exc:
            reasons, conflict = exc.reasons, conflict_rows(exc, typed)
            form = PatientCorrectionForm(at_current_version(request.POST, exc))
            form.is_valid()
        except InvalidInput as exc:
            add_form_errors(form, exc)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, "The patient's record was corrected.")
            return redirect("web:patient", found.pk)
    return render(
        request, "web/patient_correct.html", {"patient": found, "form": form, "reasons": reasons, "conflict": conflict}
    )
