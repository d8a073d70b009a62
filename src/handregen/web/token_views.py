"""The API tokens page: each user sees and revokes their own tokens, a site admin every token of their site (A8)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from handregen.accounts.selectors import token_state, tokens_visible
from handregen.accounts.services import token_max_days, token_revoke
from handregen.edge.access import StaffRequest, staff_page
from handregen.errors import Forbidden, NotFound


@staff_page
def tokens_page(request: StaffRequest) -> HttpResponse:
    """List the tokens the actor may revoke; a POST naming one of them revokes it."""
    actor = request.actor
    visible = tokens_visible(actor=actor)
    if request.method == "POST":
        chosen = next((t for t in visible if str(t.pk) == request.POST.get("token")), None)
        if chosen is None:
            raise Http404("token")
        try:
            token_revoke(actor=actor, token=chosen, reason="revoked on the API tokens page")
        except (Forbidden, NotFound) as exc:
            raise Http404("token") from exc
        messages.success(request, f"The token {chosen.prefix}… was revoked; it no longer opens the API.")
        return redirect("web:tokens")
    rows = []
    for t in visible:
        state = token_state(t)
        rows.append({"token": t, "state": state, "live": state.startswith("live"), "own": t.user_id == actor.user.pk})
    return render(request, "web/tokens.html", {"rows": rows, "max_days": token_max_days()})
