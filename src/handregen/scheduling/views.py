"""Staff pages of the calendar: the episode's appointments and booking, moving and cancelling, day lists, the
week view, the site admin's set-up, and the token-protected iCalendar feed."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.edge.access import StaffRequest, staff_page
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.evaluation.views import episode_for_page
from handregen.scheduling import availability, calendars, counts, daylists, selectors, services
from handregen.scheduling.forms import (
    BookingForm,
    CancelForm,
    ClosureForm,
    HoursForm,
    MoveForm,
    ResourceForm,
    SlotLengthForm,
)
from handregen.scheduling.models import Resource, WorkingHours
from handregen.scheduling.services import PROCEDURE_RULE
from handregen.scheduling.slots import KINDS, WEEKDAYS


def _resource(actor: Actor, resource_id: uuid.UUID) -> Resource:
    try:
        return selectors.resource_get(actor=actor, resource_id=resource_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc


def _place(error: InvalidInput, form: Any) -> None:
    names = {"starts_at": "start", "injection_at": "injection"}
    for field, message in error.errors:
        name = names.get(field, field)
        form.add_error(name if name in form.fields else None, message)


def _day(text: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback


@staff_page
def home(request: StaffRequest) -> HttpResponse:
    """The calendar's resources, each with its day list and week, and the set-up link for site admins."""
    actor = request.actor
    try:
        resources = list(selectors.resources_of(actor=actor))
    except Forbidden as exc:
        raise Http404 from exc
    return render(
        request,
        "scheduling/home.html",
        {
            "resources": resources,
            "can_manage": actor.can(Permission.SCHEDULE_MANAGE),
            "can_count": actor.can(Permission.COHORT_VIEW_DEIDENTIFIED),
            "can_see_lists": actor.can(Permission.PATIENT_VIEW),
        },
    )


@staff_page
def episode_appointments(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """The episode's appointments and the booking form (windows offered; refusals shown with their rule)."""
    actor, episode = episode_for_page(request, episode_id)
    resources = list(selectors.resources_of(actor=actor))
    windows = selectors.follow_up_windows(episode=episode)
    form = BookingForm(
        request.POST or None, resources=resources, windows=windows, initial={"kind": request.GET.get("kind", "")}
    )
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        zone = actor.site.zone
        by_id = {str(r.pk): r for r in resources}
        try:
            services.appointment_book(
                actor=actor,
                episode=episode,
                kind=form.cleaned_data["kind"],
                starts_at=form.starts_at(zone),
                clinician=by_id[form.cleaned_data["clinician"]],
                room=by_id[form.cleaned_data["room"]],
                timepoint=form.cleaned_data["timepoint"],
                injection_at=form.injection_at(zone),
                tentative=form.cleaned_data["tentative"],
                outside_window_reason=form.cleaned_data["outside_window_reason"],
            )
        except InvalidInput as exc:
            _place(exc, form)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, f"{KINDS[form.cleaned_data['kind']].label} booked.")
            return redirect("scheduling:episode", episode.pk)
    booked = selectors.appointments_of(actor=actor, episode=episode, include_cancelled=True)
    return render(
        request,
        "scheduling/episode.html",
        {
            "episode": episode,
            "form": form,
            "reasons": reasons,
            "appointments": booked,
            "windows": windows,
            "procedure_rule": PROCEDURE_RULE,
            "can_book": actor.can(Permission.APPOINTMENT_BOOK),
        },
    )


@staff_page
def appointment(request: StaffRequest, appointment_id: uuid.UUID) -> HttpResponse:
    """One appointment: move it (versioned) or cancel it, each with a reason."""
    actor = request.actor
    try:
        found = selectors.appointment_get(actor=actor, appointment_id=appointment_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc
    zone = actor.site.zone
    local = found.starts_at.astimezone(zone)
    action = request.POST.get("action") if request.method == "POST" else None
    move = MoveForm(
        request.POST if action == "move" else None,
        initial={"day": local.date(), "start": local.time(), "version": found.version},
    )
    cancel = CancelForm(request.POST if action == "cancel" else None, initial={"version": found.version})
    reasons: list[str] = []
    conflict: dict[str, Any] | None = None
    try:
        if action == "move" and move.is_valid():
            services.appointment_reschedule(
                actor=actor,
                appointment=found,
                starts_at=move.starts_at(zone),
                reason=move.cleaned_data["reason"],
                version=move.cleaned_data["version"],
                outside_window_reason=move.cleaned_data["outside_window_reason"],
            )
            messages.success(request, "Appointment moved; the patient is told.")
            return redirect("scheduling:episode", found.episode_id)
        if action == "cancel" and cancel.is_valid():
            services.appointment_cancel(
                actor=actor,
                appointment=found,
                reason=cancel.cleaned_data["reason"],
                version=cancel.cleaned_data["version"],
            )
            messages.success(request, "Appointment cancelled; the patient is told.")
            return redirect("scheduling:episode", found.episode_id)
    except services.StaleAppointment as stale:
        reasons, conflict = stale.reasons, {"current": stale.current, "yours": stale.yours}
    except InvalidInput as exc:
        _place(exc, move if action == "move" else cancel)
    except GuardRefused as exc:
        reasons = exc.reasons
    return render(
        request,
        "scheduling/appointment.html",
        {
            "appointment": found,
            "move": move,
            "cancel": cancel,
            "reasons": reasons,
            "conflict": conflict,
            "can_book": actor.can(Permission.APPOINTMENT_BOOK),
        },
    )


@staff_page
def day_list(request: StaffRequest, resource_id: uuid.UUID) -> HttpResponse:
    """Today's and tomorrow's list of one clinician, room or the lab (or two days from ?day=)."""
    actor = request.actor
    resource = _resource(actor, resource_id)
    first = _day(request.GET.get("day"), actor.site.today())
    try:
        days = [(d, daylists.day_list(actor=actor, resource=resource, day=d)) for d in (first, first + timedelta(1))]
    except Forbidden as exc:
        raise Http404 from exc
    return render(
        request,
        "scheduling/day.html",
        {
            "resource": resource,
            "days": days,
            "today": actor.site.today(),
            "earlier": first - timedelta(1),
            "later": first + timedelta(1),
        },
    )


@staff_page
def week(request: StaffRequest, resource_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    resource = _resource(actor, resource_id)
    start = _day(request.GET.get("start"), actor.site.today())
    start -= timedelta(days=start.weekday())
    try:
        days = daylists.week_of(actor=actor, resource=resource, first=start)
    except Forbidden as exc:
        raise Http404 from exc
    return render(
        request,
        "scheduling/week.html",
        {
            "resource": resource,
            "days": days,
            "previous": start - timedelta(7),
            "next": start + timedelta(7),
        },
    )


def _setup_action(request: HttpRequest, actor: Actor, resources: list[Resource]) -> tuple[Any, str | None]:
    """Run the one set-up form that was posted; returns it (with errors) and a success message."""
    action = request.POST.get("action")
    by_id = {str(r.pk): r for r in resources}
    if action == "resource":
        form: Any = ResourceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            availability.resource_create(
                actor=actor,
                kind=data["kind"],
                name=data["name"],
                room_kind=data["room_kind"],
                daily_capacity=data["daily_capacity"] or 0,
            )
            return form, f"{data['name']} added."
        return form, None
    if action == "hours":
        form = HoursForm(request.POST, resources=resources)
        if form.is_valid():
            data = form.cleaned_data
            availability.working_hours_set(
                actor=actor,
                resource=by_id[data["resource"]],
                weekday=data["weekday"],
                opens=data["opens"],
                closes=data["closes"],
            )
            return form, "Hours saved."
        return form, None
    if action == "closure":
        form = ClosureForm(request.POST, resources=resources)
        if form.is_valid():
            data = form.cleaned_data
            availability.closure_add(
                actor=actor,
                resource=by_id.get(data["resource"]),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
            )
            return form, "Closure saved."
        return form, None
    if action == "slot_length":
        form = SlotLengthForm(request.POST)
        if form.is_valid():
            availability.slot_length_set(
                actor=actor, kind=form.cleaned_data["kind"], minutes=form.cleaned_data["minutes"]
            )
            return form, "Length saved."
        return form, None
    if action in ("feed_new", "feed_off") and request.POST.get("resource") in by_id:
        resource = by_id[request.POST["resource"]]
        if action == "feed_off":
            availability.feed_token_revoke(actor=actor, resource=resource)
            return None, f"The calendar feed of {resource.name} is switched off."
        token = availability.feed_token_rotate(actor=actor, resource=resource)
        url = request.build_absolute_uri(f"/schedule/feed/{resource.pk}/{token}.ics")
        return None, f"New calendar address of {resource.name} (shown once; the old one no longer works): {url}"
    return None, None


@staff_page
def setup(request: StaffRequest) -> HttpResponse:
    """The site admin's calendar: resources, weekly hours, closures, slot lengths and feed addresses."""
    actor = request.actor
    if not actor.can(Permission.SCHEDULE_MANAGE):
        raise Http404
    resources = list(selectors.resources_of(actor=actor, active_only=False))
    posted: Any = None
    if request.method == "POST":
        try:
            posted, done = _setup_action(request, actor, resources)
        except InvalidInput as exc:
            done = None
            messages.error(request, "; ".join(message for _, message in exc.errors))
        if done:
            messages.success(request, done)
            return redirect("scheduling:setup")
    hours = WorkingHours.objects.filter(resource__site=actor.site).order_by("weekday")
    by_resource: dict[Any, list[str]] = {}
    for row in hours:
        by_resource.setdefault(row.resource_id, []).append(
            f"{WEEKDAYS[row.weekday][:3]} {row.opens:%H:%M} to {row.closes:%H:%M}"
        )
    rows = [{"resource": r, "hours": by_resource.get(r.pk, [])} for r in resources]

    def form_for(cls: Any, **kwargs: Any) -> Any:
        return posted if isinstance(posted, cls) else cls(**kwargs)

    return render(
        request,
        "scheduling/setup.html",
        {
            "rows": rows,
            "resource_form": form_for(ResourceForm),
            "hours_form": form_for(HoursForm, resources=resources),
            "closure_form": form_for(ClosureForm, resources=resources),
            "length_form": form_for(SlotLengthForm),
            "lengths": [(k.label, selectors.slot_minutes(site=actor.site, kind=k.code)) for k in KINDS.values()],
            "closures": selectors.closures_ahead(site=actor.site, today=actor.site.today()),
        },
    )


def feed(request: HttpRequest, resource_id: uuid.UUID, token: str) -> HttpResponse:
    """A resource's iCalendar feed for staff calendar apps: the secret in the address is the only key."""
    resource = selectors.resource_for_feed(resource_id=resource_id, token_digest=availability.feed_token_digest(token))
    if resource is None:
        raise Http404
    since = timezone.now() - timedelta(days=30)
    body = calendars.staff_feed(
        name=f"{resource.name} — handregen",
        appointments=selectors.feed_appointments(resource=resource, since=since),
        link_base=calendars.link_base(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@staff_page
def counts_page(request: StaffRequest) -> HttpResponse:
    """The managers' counts per month: waiting times, no-shows and late cancellations (no patient named)."""
    actor = request.actor
    try:
        months = counts.monthly_counts(actor=actor)
    except Forbidden as exc:
        raise Http404 from exc
    return render(request, "scheduling/counts.html", {"months": months})
