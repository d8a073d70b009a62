"""The patient's questionnaire pages, reached from a link in an e-mail; no sign-in (security requirement Z4).

GET /q/<token> checks the token, keeps the link's id in the browser's session and redirects to /q/, so the
token is in the address bar (and the history) for one request only. /q/ sends the patient to the first page
with an unanswered question (resuming where they stopped), /q/p/<n>/ is one short page of one questionnaire
(its answers are kept on the link as soon as it is sent), /q/review/ shows every answer before sending, and
/q/done/ thanks. What is stored is decided by the session's link, never by the form. Every page says
no-referrer and no-store. A wrong token is a plain 404, a spent or expired one a plain 410, each with the
clinic's phone number where the clinic is known. The pages work without JavaScript.

Django's CSRF check cannot run here: under `Referrer-Policy: no-referrer` a browser sends the form with
`Origin: null` and no Referer, which that check refuses. The form carries a token kept in the patient's
session instead (compared in constant time), and the session cookie is SameSite=Lax, so another site can
neither read the token nor send the cookie with a cross-site POST.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from handregen.accounts.models import Site
from handregen.aftercare.selectors import aftercare_sheet
from handregen.edge.form_rules import CheckedForm
from handregen.errors import InvalidInput, NotFound
from handregen.outcomes.instruments import Instrument, load_instrument
from handregen.outcomes.links import (
    LinkGone,
    link_for_session,
    link_for_token,
    link_open,
    portal_save,
    portal_submit,
)
from handregen.outcomes.models import QuestionnaireLink, QuestionnaireResponse
from handregen.outcomes.portal_flow import (
    DECLINED,
    Page,
    answers_for_scoring,
    first_open_page,
    flow_pages,
    minutes_left,
    page_complete,
)
from handregen.outcomes.selectors import patient_instruments, patient_progress
from handregen.outcomes.wording import answer_options, item_texts, licensed_scales
from handregen.scheduling.selectors import next_appointment_of

SESSION_KEY = "portal_link"
DONE_KEY = "portal_done"
FORM_TOKEN_KEY = "portal_form_token"  # noqa: S105 - a session key name, not a secret
# A visit may last an hour without a request; the answers are kept on the link, so a patient coming back
# later opens the link again and carries on where they stopped.
SESSION_SECONDS = 60 * 60

NOT_VALID = gettext_lazy(
    "This link does not work. Please check that you opened the whole link from your e-mail, or call the clinic."
)
NO_SESSION = gettext_lazy("Please open the link in your e-mail to see your questions.")
STALE_FORM = gettext_lazy(
    "This page was open for too long or was sent from elsewhere. Please open the link in your e-mail again."
)
PREFER_NOT = gettext_lazy("Prefer not to answer")


def patient_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers for every patient page: no referrer leaves it, nothing is cached, no search engine lists it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override(translation.get_language()):  # the patient's language ends with the request
            response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _clinic(site: Site | None) -> Site | dict[str, str] | None:
    """The clinic to name on a page: the link's; for an unknown link the number in HANDREGEN_PATIENT_PHONE,
    else the only clinic's."""
    if site is not None:
        return site
    if settings.HANDREGEN_PATIENT_PHONE:
        return {"name": str(_("the clinic")), "phone": settings.HANDREGEN_PATIENT_PHONE}
    sites = list(Site.objects.order_by("code")[:2])
    return sites[0] if len(sites) == 1 else None


def _plain(request: HttpRequest, message: str, status: int, site: Site | None = None) -> HttpResponse:
    return render(request, "outcomes/portal_gone.html", {"message": message, "site": _clinic(site)}, status=status)


def _gone(request: HttpRequest, gone: LinkGone) -> HttpResponse:
    return _plain(request, str(gone), 410, gone.link.site if gone.link is not None else None)


def _in_patients_language(link: QuestionnaireLink) -> None:
    language = getattr(link.patient, "preferred_language", "") or ""
    if language:
        translation.activate(language)


@patient_page
@require_GET
def land(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail: check it, remember it in the session, and take the token out of the URL."""
    try:
        link = link_for_token(token)
    except NotFound:
        return _plain(request, str(NOT_VALID), 404)
    except LinkGone as gone:
        return _gone(request, gone)
    link_open(link=link)
    request.session.cycle_key()
    request.session[SESSION_KEY] = str(link.pk)
    request.session[FORM_TOKEN_KEY] = secrets.token_urlsafe(32)
    if not request.user.is_authenticated:  # never stretch a signed-in staff member's idle timeout
        request.session.set_expiry(SESSION_SECONDS)
    return redirect("portal:page")


def _session_link(request: HttpRequest) -> QuestionnaireLink | HttpResponse:
    """The session's usable link, or the plain page that says why there is none."""
    link_id = request.session.get(SESSION_KEY)
    if not link_id:
        return _plain(request, str(NO_SESSION), 404)
    try:
        link = link_for_session(link_id)
    except NotFound:
        return _plain(request, str(NO_SESSION), 404)
    except LinkGone as gone:
        if gone.link is not None and str(gone.link.pk) == request.session.get(DONE_KEY):
            return redirect("portal:done")  # a second tap on Send, or Back after sending
        return _gone(request, gone)
    _in_patients_language(link)
    if request.method == "POST" and not _form_token_matches(request):
        return _plain(request, str(STALE_FORM), 403, link.site)
    return link


def _form_token_matches(request: HttpRequest) -> bool:
    expected = request.session.get(FORM_TOKEN_KEY)
    given = request.POST.get("form_token", "")
    return isinstance(expected, str) and secrets.compare_digest(expected.encode(), given.encode())


def _instruments(link: QuestionnaireLink) -> list[Instrument]:
    fu = link.follow_up
    recorded = set(QuestionnaireResponse.objects.filter(follow_up=fu).values_list("instrument", flat=True))
    return [load_instrument(code) for code in patient_instruments(fu, recorded)]


class PageForm(CheckedForm):
    """One page of one questionnaire: every item needs an answer, or "prefer not to answer" where allowed."""

    def __init__(self, *args: Any, page: Page, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.page = page
        instrument = page.instrument
        texts, licensed_text = item_texts(instrument)
        licensed = licensed_scales(instrument)
        for item in page.items:
            choices = [(str(o.value), _(o.label)) for o in answer_options(instrument, item, licensed)]
            if instrument.missing_allowed:
                choices.append((DECLINED, str(PREFER_NOT)))
            text = texts[item.id] if licensed_text else _(texts[item.id])  # a licence's wording is shown as it is
            label = text if len(instrument.items) > 1 or not instrument.question else _(instrument.question)
            field = forms.ChoiceField(
                label=label,
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Please choose an answer."),
                    "invalid_choice": _("Please choose one of the answers."),
                },
            )
            field.prompt = None if page.shared_prompt else _(instrument.prompt_for(item) or "")  # type: ignore[attr-defined]
            self.fields[item.id] = field

    def answers(self) -> dict[str, object]:
        """Valid answers of the page (partial when some are missing): ints, or DECLINED."""
        kept: dict[str, object] = {}
        for item in self.page.items:
            value = self.cleaned_data.get(item.id) if hasattr(self, "cleaned_data") else None
            if value:
                kept[item.id] = value if value == DECLINED else int(value)
        return kept


def _progress(pages: list[Page], number: int | None, draft: dict[str, Any]) -> dict[str, Any]:
    instruments = list(dict.fromkeys(page.instrument.code for page in pages))
    current = pages[number - 1] if number else None
    return {
        "questionnaire": instruments.index(current.instrument.code) + 1 if current else len(instruments),
        "questionnaires": len(instruments),
        "screen": number or len(pages) + 1,
        "screens": len(pages) + 1,  # the review step counts as a screen
        "minutes": minutes_left(pages, draft),
    }


@csrf_exempt  # see the module docstring: the session's form token protects the forms
@patient_page
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    """Where the patient carries on: the first page with an unanswered question, else the review."""
    link = _session_link(request)
    if isinstance(link, HttpResponse):
        return link
    pages = flow_pages(_instruments(link))
    if not pages:
        fu = link.follow_up
        progress = patient_progress(episode=fu.episode, cycle=fu.cycle)
        return render(
            request, "outcomes/portal_thanks.html", {"site": link.site, "nothing_left": True, "progress": progress}
        )
    number = first_open_page(pages, link.draft)
    return redirect("portal:step", number=number) if number else redirect("portal:review")


@csrf_exempt  # see the module docstring
@patient_page
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, number: int) -> HttpResponse:
    """One page: GET shows it with any saved answers; POST keeps the answers given and moves on when complete."""
    link = _session_link(request)
    if isinstance(link, HttpResponse):
        return link
    pages = flow_pages(_instruments(link))
    if not 1 <= number <= len(pages):
        return redirect("portal:page")
    current = pages[number - 1]
    code = current.instrument.code
    status = 200
    if request.method == "POST":
        form = PageForm(request.POST, page=current)
        complete = form.is_valid()
        given = form.answers()
        if given:
            try:
                link = portal_save(link_id=link.pk, instrument=code, answers=given)
            except LinkGone as gone:
                return _gone(request, gone)
        if complete:
            later = first_open_page(pages[number:], link.draft)
            if request.POST.get("then") == "review" or later is None:
                return redirect("portal:review")
            return redirect("portal:step", number=number + later)
        status = 422
    else:
        saved = link.draft.get(code) or {}
        form = PageForm(initial={k: str(v) for k, v in saved.items()}, page=current)
    context = {
        "site": link.site,
        "page": current,
        "form": form,
        "number": number,
        "previous": number - 1 if number > 1 else None,
        "steps": _progress(pages, number, link.draft),
        "form_token": request.session.get(FORM_TOKEN_KEY, ""),
        "expires_at": link.expires_at,
        "is_baseline": link.follow_up.is_baseline,
        "follow_up_label": link.follow_up.label,
        "back_to_review": request.GET.get("from") == "review" or request.POST.get("then") == "review",
        # a one-question instrument (pain, change) asks its question in the legend already
        "prompt": _(current.shared_prompt) if current.shared_prompt and not current.instrument.question else "",
        "next_appointment": next_appointment_of(
            patient_id=link.follow_up.patient_id, site=link.site, now=timezone.now()
        )
        if number == 1
        else None,
    }
    return render(request, "outcomes/portal_step.html", context, status=status)


def _review_rows(pages: list[Page], draft: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for number, current in enumerate(pages, start=1):
        instrument = current.instrument
        texts, licensed_text = item_texts(instrument)
        licensed = licensed_scales(instrument)
        saved = draft.get(instrument.code) or {}
        answers = []
        for item in current.items:
            value = saved.get(item.id)
            labels: dict[object, str] = {o.value: _(o.label) for o in answer_options(instrument, item, licensed)}
            shown = str(PREFER_NOT) if value == DECLINED else labels.get(value, _("Not answered yet"))
            text = texts[item.id] if licensed_text else _(texts[item.id])
            question = text if len(instrument.items) > 1 or not instrument.question else _(instrument.title)
            answers.append({"question": question, "answer": shown})
        rows.append({"page": current, "number": number, "answers": answers, "complete": page_complete(current, draft)})
    return rows


@csrf_exempt  # see the module docstring
@patient_page
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    """Every answer before sending, each page with a Change link; POST sends them all once."""
    link = _session_link(request)
    if isinstance(link, HttpResponse):
        return link
    instruments = _instruments(link)
    pages = flow_pages(instruments)
    if not pages:
        return redirect("portal:page")
    open_page = first_open_page(pages, link.draft)
    if request.method == "POST":
        if open_page is not None:
            return redirect("portal:step", number=open_page)
        answers = {i.code: answers_for_scoring(i, link.draft.get(i.code) or {}) for i in instruments}
        try:
            portal_submit(link_id=link.pk, answers=answers)
        except LinkGone as gone:
            if gone.link is not None and gone.link.submitted_at is not None:
                return redirect("portal:done")
            return _gone(request, gone)
        except InvalidInput:
            # the scoring found nothing to store (every answer declined): say so plainly, keep the answers
            request.session["portal_error"] = True
            return redirect("portal:review")
        request.session[DONE_KEY] = str(link.pk)
        return redirect("portal:done")
    context = {
        "site": link.site,
        "rows": _review_rows(pages, link.draft),
        "open_page": open_page,
        "steps": _progress(pages, None, link.draft),
        "form_token": request.session.get(FORM_TOKEN_KEY, ""),
        "sheet": aftercare_sheet(episode=link.follow_up.episode),
        "progress": patient_progress(episode=link.follow_up.episode, cycle=link.follow_up.cycle),
        "nothing_to_send": request.session.pop("portal_error", False),
    }
    return render(request, "outcomes/portal_review.html", context)


@patient_page
@require_GET
def done(request: HttpRequest) -> HttpResponse:
    """Thanks, after sending: the patient's progress in plain words comes only now, so it sways no answer."""
    link_id = request.session.get(DONE_KEY)
    link = (
        QuestionnaireLink.objects.select_related("site", "follow_up", "patient").filter(pk=link_id).first()
        if link_id
        else None
    )
    if link is None or link.submitted_at is None:
        return redirect("portal:page")
    _in_patients_language(link)
    fu = link.follow_up
    progress = patient_progress(episode=fu.episode, cycle=fu.cycle)
    sheet = aftercare_sheet(episode=fu.episode)
    upcoming = next_appointment_of(patient_id=fu.patient_id, site=link.site, now=timezone.now())
    return render(
        request,
        "outcomes/portal_thanks.html",
        {
            "site": link.site,
            "progress": progress,
            "sheet": sheet,
            "review_url": reverse("portal:page"),
            "next_appointment": upcoming,
        },
    )
