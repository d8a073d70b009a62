"""The patient's questionnaire page, reached from a link in an e-mail; no sign-in (security requirement Z4).

GET /q/<token> checks the token, keeps the link's id in the browser's session and redirects to /q/, so the
token is in the address bar (and the history) for one request only. /q/ shows the after-care sheet and the
questionnaires of that one follow-up; what it stores is decided by the session's link, never by the form.
Every page says no-referrer and no-store. A wrong token is a plain 404, a spent or expired one a plain 410.

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

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from handregen.aftercare.selectors import aftercare_sheet
from handregen.errors import InvalidInput, NotFound
from handregen.outcomes.forms import InstrumentForm
from handregen.outcomes.instruments import load_instrument
from handregen.outcomes.links import LinkGone, link_for_session, link_for_token, link_open, portal_submit
from handregen.outcomes.models import QuestionnaireLink, QuestionnaireResponse
from handregen.outcomes.selectors import patient_instruments, patient_progress
from handregen.scheduling.selectors import next_appointment_of

SESSION_KEY = "portal_link"
FORM_TOKEN_KEY = "portal_form_token"  # noqa: S105 - a session key name, not a secret
# Long enough to answer the longest questionnaire set (the MHQ alone has 37 items) without a request.
SESSION_SECONDS = 60 * 60

NOT_VALID = ("This link is not valid. Please check that you opened the whole link from your e-mail, "
             "or call the clinic.")
NO_SESSION = "Please open the link in your e-mail to see your questionnaires."
STALE_FORM = "This page was open for too long or was sent from elsewhere. Please open the link in your e-mail again."


def patient_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers for every patient page: no referrer leaves it, nothing is cached, no search engine lists it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _plain(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "outcomes/portal_gone.html", {"message": message}, status=status)


@patient_page
@require_GET
def land(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail: check it, remember it in the session, and take the token out of the URL."""
    try:
        link = link_for_token(token)
    except NotFound:
        return _plain(request, NOT_VALID, 404)
    except LinkGone as gone:
        return _plain(request, str(gone), 410)
    link_open(link=link)
    request.session.cycle_key()
    request.session[SESSION_KEY] = str(link.pk)
    request.session[FORM_TOKEN_KEY] = secrets.token_urlsafe(32)
    if not request.user.is_authenticated:  # never stretch a signed-in staff member's idle timeout
        request.session.set_expiry(SESSION_SECONDS)
    return redirect("portal:page")


def _forms(link: QuestionnaireLink, data: Any = None) -> list[InstrumentForm]:
    fu = link.follow_up
    recorded = set(QuestionnaireResponse.objects.filter(follow_up=fu).values_list("instrument", flat=True))
    return [
        InstrumentForm(data, instrument=load_instrument(code), staff=False, prefix=code)
        for code in patient_instruments(fu, recorded)
    ]


def _show_errors(forms: list[InstrumentForm], error: InvalidInput) -> None:
    by_code = {form.instrument.code: form for form in forms}
    for field, message in error.errors:
        code, _, item_id = field.partition(".")
        form = by_code.get(code)
        if form is not None and item_id in form.fields:
            form.add_error(item_id, message)
        elif forms:
            forms[0].add_error(None, message)


def _form_token_matches(request: HttpRequest) -> bool:
    expected = request.session.get(FORM_TOKEN_KEY)
    given = request.POST.get("form_token", "")
    return isinstance(expected, str) and secrets.compare_digest(expected.encode(), given.encode())


@csrf_exempt  # see the module docstring: the session's form token protects this form
@patient_page
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest) -> HttpResponse:
    """The questionnaires of the session's link on one page; POST scores and stores them, then closes the link."""
    link_id = request.session.get(SESSION_KEY)
    if not link_id:
        return _plain(request, NO_SESSION, 404)
    try:
        link = link_for_session(link_id)
    except NotFound:
        return _plain(request, NO_SESSION, 404)
    except LinkGone as gone:
        return _plain(request, str(gone), 410)
    if request.method == "POST" and not _form_token_matches(request):
        return _plain(request, STALE_FORM, 403)
    fu = link.follow_up
    forms = _forms(link, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if all(form.is_valid() for form in forms):
            try:
                portal_submit(link_id=link.pk, answers={form.instrument.code: form.answers() for form in forms})
            except LinkGone as gone:
                return _plain(request, str(gone), 410)
            except InvalidInput as exc:
                _show_errors(forms, exc)
            else:
                progress = patient_progress(episode=fu.episode, cycle=fu.cycle)
                return render(request, "outcomes/portal_thanks.html", {"site": link.site, "progress": progress})
        status = 422
    context = {
        "site": link.site,
        "follow_up": fu,
        "forms": forms,
        "sheet": aftercare_sheet(episode=fu.episode),
        "expires_at": link.expires_at,
        "form_token": request.session.get(FORM_TOKEN_KEY, ""),
        "progress": patient_progress(episode=fu.episode, cycle=fu.cycle),
        "next_appointment": next_appointment_of(patient_id=fu.patient_id, site=link.site, now=timezone.now()),
    }
    return render(request, "outcomes/portal_page.html", context, status=status)
