"""Where each pathway step is done on the web: the page (URL name) of each action, by the app that owns it."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from handregen.pathway.models import Episode

ACTION_PAGES: dict[str, str] = {
    "withdraw": "web:episode-withdraw",
    "consultation": "evaluation:consultation",
    "candidacy": "evaluation:candidacy",
    "consent": "consent:consent",
    "preparation": "preparation:checklist",
    "post_care": "aftercare:post-care",
    "repeat_cycle": "aftercare:repeat-cycle",
    "harvest": "procedures:harvest",
    "release": "cellproducts:episode-product",
    "injection": "procedures:injection",
}


def action_url(action: str, episode: Episode) -> str | None:
    """The page that performs `action` for `episode`, or None when no page exists for it yet."""
    name = ACTION_PAGES.get(action)
    if name is None:
        return None
    try:
        return reverse(name, args=[episode.pk])
    except NoReverseMatch:
        return None
