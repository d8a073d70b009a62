"""The web edge's door: a signed-in user with a role at a site, or no page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from handregen.accounts.actor import Actor
from handregen.accounts.mfa import confirmed_totp
from handregen.accounts.selectors import actor_for


class StaffRequest(HttpRequest):
    """A request that passed the staff door (`staff_page`): `actor` says who acts, at which site, in which role."""

    actor: Actor


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a signed-in, two-factor-verified user with a site membership; put their Actor on `request.actor`."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_verified():  # type: ignore[attr-defined]
            # Two-factor first: no staff page, and so no patient data, before a verified second factor.
            step = "web:mfa-verify" if confirmed_totp(request.user) else "web:mfa-setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        actor = actor_for(user=request.user)
        if actor is None:
            return render(request, "web/no_site.html", status=403)
        request.actor = actor  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper
