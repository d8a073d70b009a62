"""Two-factor pages: enrol an authenticator app, then enter a code at each sign-in."""

from __future__ import annotations

import base64

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from handregen.accounts.mfa import confirmed_totp, mfa_verify, totp_confirm, totp_enrolment
from handregen.edge.form_rules import CheckedForm


class CodeForm(CheckedForm):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


@login_required
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Show the key to add to an authenticator app; confirm it with a first code; show backup codes once."""
    if confirmed_totp(request.user):  # type: ignore[arg-type]
        return redirect("web:mfa-verify")
    device = totp_enrolment(request.user)  # type: ignore[arg-type]
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = totp_confirm(request, request.user, form.cleaned_data["code"])  # type: ignore[arg-type]
        if codes is not None:
            return render(request, "web/mfa_backup_codes.html", {"codes": codes, "next": _next(request)})
        form.add_error("code", "That code did not match. Check the time on your phone and try the newest code.")
    key = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "web/mfa_setup.html",
        {
            "form": form,
            "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            "uri": device.config_url,
            "next": _next(request),
        },
    )


@login_required
def mfa_verify_page(request: HttpRequest) -> HttpResponse:
    if not confirmed_totp(request.user):  # type: ignore[arg-type]
        return redirect("web:mfa-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa_verify(request, request.user, form.cleaned_data["code"]):  # type: ignore[arg-type]
            return redirect(_next(request))
        form.add_error("code", "That code did not match, or it was already used.")
    return render(request, "web/mfa_verify.html", {"form": form, "next": _next(request)})
