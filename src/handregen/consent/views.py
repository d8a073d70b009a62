"""Staff pages: take consent (document text, discussion, signature), withdraw it, download the signed PDF."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.analytics.selectors import episode_expectation
from handregen.consent import selectors, services
from handregen.consent.expectation_shown import expectation_rows, expectation_seal, expectation_unseal
from handregen.consent.forms import ConsentForm, CountersignForm, ReconsentFields, WithdrawConsentForm
from handregen.consent.models import DEFAULT_MEANING
from handregen.consent.pdf import consent_pdf
from handregen.consent.text import document_html
from handregen.edge.access import StaffRequest, staff_page
from handregen.errors import GuardRefused, InvalidInput
from handregen.evaluation.views import episode_for_page
from handregen.pathway.models import Episode
from handregen.signatures.selectors import local_with_offset, signature_views


def _expectation(request: HttpRequest, actor: Actor, episode: Episode) -> tuple[dict[str, Any] | None, list[str]]:
    """The figure to show and store: the one the page showed (sealed in the POST), else computed now.

    Returns (figure, errors); an altered or stale figure is an error and a fresh one is shown instead.
    """
    token = request.POST.get("expectation_token", "") if request.method == "POST" else ""
    errors: list[str] = []
    if token:
        try:
            return expectation_unseal(token, episode_id=episode.pk), []
        except InvalidInput as exc:
            errors = [message for _, message in exc.errors]
    if not actor.can(Permission.COHORT_VIEW_DEIDENTIFIED):
        return None, errors
    return episode_expectation(actor=actor, episode=episode), errors


@staff_page
def consent(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor, episode = episode_for_page(request, episode_id)
    required = selectors.required_document_version(episode=episode)
    document = services.consent_document_ensure(version=required)
    shown, expectation_errors = _expectation(request, actor, episode)
    sealed = expectation_seal(shown, episode_id=episode.pk) if shown is not None else ""
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        data["expectation_token"] = sealed  # re-shown with the form: the figure on the page is the one sent
    form = ConsentForm(data, initial={"document_version": required, "expectation_token": sealed})
    on_file = selectors.current_consent(episode=episode)
    reconsenting = on_file is not None and (request.GET.get("reconsent") == "1" or "reconsent_kind" in (data or {}))
    reconsent = ReconsentFields(data if reconsenting and data is not None else None)
    reasons: list[str] = list(expectation_errors)
    valid = form.is_valid() and (not reconsenting or reconsent.is_valid())
    if request.method == "POST" and not expectation_errors and valid:
        extra = reconsent.cleaned_data if reconsenting else {}
        try:
            services.consent_record(
                actor=actor,
                episode=episode,
                document_version=form.cleaned_data["document_version"],
                discussed=form.discussed(),
                signer_name=form.cleaned_data["signer_name"],
                signature_meaning=DEFAULT_MEANING,
                expectation_shown=shown,
                discussion_notes=form.cleaned_data["discussion_notes"],
                password=form.cleaned_data["password"],
                otp_code=form.cleaned_data["otp_code"],
                reconsent_kind=extra.get("reconsent_kind", ""),
                reconsent_reason=extra.get("reconsent_reason", ""),
            )
        except InvalidInput as exc:
            for field, message in exc.errors:
                target = reconsent if field in reconsent.fields else form
                target.add_error(field if field in target.fields else None, message)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, "Consent recorded and signed. Print the signed consent for the patient.")
            return redirect("consent:consent", episode.pk)
    current = selectors.consent_for_episode(actor=actor, episode=episode)
    signature = selectors.signature_of(current) if current else None
    return render(
        request,
        "consent/consent.html",
        {
            "episode": episode,
            "form": form,
            "reasons": reasons,
            "document": document,
            "document_html": document_html(document.text) if document else "",
            "current": current,
            "signature": signature,
            "signed_local": local_with_offset(signature.signed_at, episode.site.time_zone) if signature else "",
            "signature_views": signature_views(current, zone_name=episode.site.time_zone) if current else [],
            "sign_form": CountersignForm(prefix="sign"),
            "current_refusals": selectors.consent_refusals(episode=episode),
            "expectation": shown,
            "expectation_rows": expectation_rows(shown) if shown else [],
            # Once a consent is active the form is offered only as an explicit re-consent.
            "show_form": on_file is None or reconsenting,
            "reconsenting": reconsenting,
            "reconsent": reconsent,
        },
    )


@staff_page
def sign(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """The physician signs the active consent again (after an unlock voided the earlier signature)."""
    actor, episode = episode_for_page(request, episode_id)
    if request.method != "POST":
        return redirect("consent:consent", episode.pk)
    form = CountersignForm(request.POST, prefix="sign")
    if form.is_valid():
        try:
            services.consent_countersign(actor=actor, episode=episode, **form.signer())
        except InvalidInput as exc:
            for field, message in exc.errors:
                messages.error(request, f"Not signed: {field.replace('_', ' ')}: {message}.")
        except GuardRefused as exc:
            for reason in exc.reasons:
                messages.error(request, f"Not signed: {reason}")
        else:
            messages.success(request, "You signed the consent.")
    return redirect("consent:consent", episode.pk)


@staff_page
def withdraw(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor, episode = episode_for_page(request, episode_id)
    form = WithdrawConsentForm(request.POST or None)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(actor=actor, episode=episode, reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            for field, message in exc.errors:
                form.add_error(field if field in form.fields else None, message)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, "The withdrawal of consent was recorded; harvest and injection are blocked.")
            return redirect("consent:consent", episode.pk)
    return render(request, "consent/withdraw.html", {"episode": episode, "form": form, "reasons": reasons})


@staff_page
def pdf(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor, episode = episode_for_page(request, episode_id)
    current = selectors.consent_for_episode(actor=actor, episode=episode)
    signature = selectors.signature_of(current) if current else None
    if current is None or signature is None:
        raise Http404
    response = HttpResponse(consent_pdf(consent=current, signature=signature), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="consent-{current.pk}.pdf"'
    return response
