"""Staff pages for follow-ups: an episode's time points, one follow-up, an entry form per instrument, and the
coordinator's worklist of follow-ups due or missed across the site."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from handregen.accounts.roles import Permission
from handregen.edge.access import StaffRequest, staff_page
from handregen.edge.versioning import VersionForm, at_current_version, conflict_rows
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.messaging.services import latest_deliveries
from handregen.outcomes import selectors
from handregen.outcomes.forms import AmendmentForm, InstrumentForm, MarkDoneForm
from handregen.outcomes.instruments import load_instrument
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.outcomes.portal_flow import patient_item_count
from handregen.outcomes.qr import qr_svg
from handregen.outcomes.reminders import questionnaire_link_send
from handregen.outcomes.schedule import BASELINE, STATUS_WORDS
from handregen.outcomes.services import (
    allowed_instruments,
    baseline_instruments,
    baseline_response_record,
    followup_mark_done,
    response_record,
)
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.models import Episode
from handregen.versions import StaleVersion


def _episode(request: StaffRequest, episode_id: uuid.UUID) -> Episode:
    try:
        return pathway_selectors.episode_get(actor=request.actor, episode_id=episode_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc


def _follow_up(request: StaffRequest, follow_up_id: uuid.UUID) -> FollowUp:
    try:
        return selectors.follow_up_get(actor=request.actor, follow_up_id=follow_up_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc


@staff_page
def episode_follow_ups(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    episode = _episode(request, episode_id)
    rows = selectors.episode_follow_ups(actor=actor, episode=episode)
    has_baseline = any(r.follow_up.cycle == episode.cycle and r.follow_up.timepoint == BASELINE for r in rows)
    deliveries = latest_deliveries(
        site=episode.site, about_type="follow_up", about_ids=[str(r.follow_up.pk) for r in rows]
    )
    for row in rows:
        row.delivery = deliveries.get(str(row.follow_up.pk))  # type: ignore[attr-defined]
        row.patient_items = patient_item_count(row.follow_up.instruments)  # type: ignore[attr-defined]
    return render(
        request,
        "outcomes/episode_follow_ups.html",
        {
            "episode": episode,
            "rows": rows,
            "words": STATUS_WORDS,
            "baseline_instruments": [] if has_baseline else baseline_instruments(episode),
            "can_record": actor.can(Permission.FOLLOW_UP_RECORD),
        },
    )


@staff_page
def worklist(request: StaffRequest) -> HttpResponse:
    """Follow-ups due now (window closing soonest first) and missed ones, for the coordinator."""
    try:
        rows = selectors.follow_up_worklist(actor=request.actor)
    except Forbidden as exc:
        raise Http404 from exc
    return render(request, "outcomes/worklist.html", {"rows": rows, "words": STATUS_WORDS})


@staff_page
def follow_up(request: StaffRequest, follow_up_id: uuid.UUID) -> HttpResponse:
    """One follow-up: its instruments and scores, a patient link to create, and 'mark done'."""
    actor = request.actor
    fu = _follow_up(request, follow_up_id)
    reasons: list[str] = []
    link_url = None
    delivery = None
    done_form = MarkDoneForm(request.POST if request.POST.get("action") == "done" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "link":
                link_url, delivery = questionnaire_link_send(actor=actor, follow_up=fu)
            elif request.POST.get("action") == "done" and done_form.is_valid():
                followup_mark_done(actor=actor, follow_up=fu, reason=done_form.cleaned_data["reason"])
                messages.success(request, f"The {fu.label} follow-up is marked done.")
                return redirect("outcomes:follow-up", fu.pk)
        except GuardRefused as exc:
            reasons = exc.reasons
        except InvalidInput as exc:
            reasons = [m for _, m in exc.errors]
        fu.refresh_from_db()
    row = selectors.follow_up_row(actor=actor, follow_up=fu)
    stored = {r.instrument: r for r in row.responses if not r.side or r.side == fu.episode.side}
    instruments = [
        {"code": code, "name": load_instrument(code).name, "response": stored.get(code)}
        for code in allowed_instruments(fu)
        if code in fu.instruments or code in stored
    ]
    extra = [
        {"code": code, "name": load_instrument(code).name}
        for code in allowed_instruments(fu)
        if code not in fu.instruments
    ]
    return render(
        request,
        "outcomes/follow_up.html",
        {
            "fu": fu,
            "row": row,
            "words": STATUS_WORDS,
            "instruments": instruments,
            "extra": extra,
            "reasons": reasons,
            "link_url": link_url,
            "done_form": done_form,
            "delivery": delivery,
            "qr": qr_svg(link_url, title="QR code of the questionnaire link") if link_url else "",
            "fu_label": fu.label.lower(),
            "last_delivery": latest_deliveries(site=fu.site, about_type="follow_up", about_ids=[str(fu.pk)]).get(
                str(fu.pk)
            ),
            "can_record": actor.can(Permission.FOLLOW_UP_RECORD),
        },
    )


def _entry(request: StaffRequest, *, fu: FollowUp | None, episode: Episode, instrument: str) -> HttpResponse:
    actor = request.actor
    try:
        definition = load_instrument(instrument)
    except ValueError as exc:
        raise Http404 from exc
    existing = None
    if fu is not None:
        existing = (
            QuestionnaireResponse.objects.filter(follow_up=fu, instrument=instrument).order_by("entered_at").first()
        )
    data = request.POST if request.method == "POST" else None
    initial = dict(existing.answers) if existing else {}
    if instrument in ("grip", "pinch"):
        initial.setdefault("side", existing.side if existing else episode.side)
    form = InstrumentForm(data, instrument=definition, initial=initial)
    amendment = AmendmentForm(data)
    version = VersionForm(data, initial={"expected_version": existing.version if existing else 0})
    reasons: list[str] = []
    conflict: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid() and amendment.is_valid():
        extra = {name: form.cleaned_data.get(name) for name in ("side", "device", "pinch_type")}
        try:
            if fu is None:
                saved = baseline_response_record(
                    actor=actor,
                    episode=episode,
                    instrument=instrument,
                    answers=form.answers(),
                    side=extra["side"],
                    pinch_type=extra["pinch_type"] or "",
                    amendment_reason=amendment.cleaned_data["amendment_reason"],
                    expected_version=version.version(),
                )
            else:
                saved = response_record(
                    actor=actor,
                    follow_up=fu,
                    instrument=instrument,
                    answers=form.answers(),
                    side=extra["side"],
                    pinch_type=extra["pinch_type"] or "",
                    device=extra["device"] or "",
                    amendment_reason=amendment.cleaned_data["amendment_reason"],
                    expected_version=version.version(),
                )
        except StaleVersion as exc:
            reasons = exc.reasons
            conflict = conflict_rows(exc, {**form.answers(), "score": "computed when saved"})
            version = VersionForm(at_current_version(request.POST, exc))
            which: dict[str, Any] = {"follow_up": fu} if fu else {"follow_up__timepoint": BASELINE}
            existing = (
                QuestionnaireResponse.objects.filter(
                    episode=episode, follow_up__cycle=episode.cycle, instrument=instrument, **which
                )
                .order_by("entered_at")
                .first()
            )
        except GuardRefused as exc:
            reasons = exc.reasons
        except InvalidInput as exc:
            for field, message in exc.errors:
                name = field.split(".", 1)[1] if field.startswith("answers.") else field
                target = form if name in form.fields else amendment if name in amendment.fields else None
                (target or form).add_error(name if target else None, message)
        else:
            score = "not scorable" if saved.total is None else f"{saved.total:.2f}"
            messages.success(request, f"{definition.name} recorded: {score}.")
            return redirect("outcomes:follow-up", saved.follow_up_id)
    return render(
        request,
        "outcomes/entry.html",
        {
            "episode": episode,
            "fu": fu,
            "definition": definition,
            "form": form,
            "amendment": amendment,
            "existing": existing,
            "reasons": reasons,
            "conflict": conflict,
            "version": version,
        },
    )


@staff_page
def entry(request: StaffRequest, follow_up_id: uuid.UUID, instrument: str) -> HttpResponse:
    fu = _follow_up(request, follow_up_id)
    return _entry(request, fu=fu, episode=fu.episode, instrument=instrument)


@staff_page
def baseline_entry(request: StaffRequest, episode_id: uuid.UUID, instrument: str) -> HttpResponse:
    """The first baseline answer of a cycle (the baseline record is created with it)."""
    episode = _episode(request, episode_id)
    return _entry(request, fu=None, episode=episode, instrument=instrument)


@staff_page
@require_POST
def baseline_link(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """A link to the baseline questionnaires for the patient, shown once (only its hash is stored)."""
    episode = _episode(request, episode_id)
    reasons: list[str] = []
    url = None
    delivery = None
    try:
        url, delivery = questionnaire_link_send(actor=request.actor, episode=episode)
    except GuardRefused as exc:
        reasons = exc.reasons
    context = {
        "episode": episode,
        "link_url": url,
        "reasons": reasons,
        "delivery": delivery,
        "qr": qr_svg(url, title="QR code of the baseline questionnaire link") if url else "",
    }
    if request.htmx:  # type: ignore[attr-defined]
        # Only the fragment, swapped into the episode page. htmx swaps 2xx answers only, so a refusal comes as
        # 200 here; without JavaScript the full page answers 409.
        return render(request, "outcomes/_baseline_link.html", context)
    return render(request, "outcomes/baseline_link.html", context, status=409 if reasons else 200)
