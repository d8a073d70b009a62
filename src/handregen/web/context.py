"""Template context: the signed-in user's site and role, shown on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from handregen.web.menu import menu_for


def site_and_role(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    if actor is None:
        return {}
    return {"current_site": actor.site, "current_role": actor.role.replace("_", " "), "menu": menu_for(actor)}
