"""The expectation figure of the consent discussion, carried from the page to the signature unchanged.

The page computes the figure (analytics) and shows it; the form carries it back sealed with Django's signing
(HMAC with SECRET_KEY, bound to the episode), so the consent stores exactly what the patient was shown, not a
figure recomputed a minute later over a cohort that may have changed, and nobody can alter it in between.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core import signing

from handregen.errors import InvalidInput

SALT = "handregen.consent.expectation_shown"
# A consent discussion may take a while; a figure older than this is shown afresh.
MAX_AGE_SECONDS = 12 * 60 * 60


def expectation_seal(shown: dict[str, Any], *, episode_id: uuid.UUID) -> str:
    return signing.dumps({"episode": str(episode_id), "shown": shown}, salt=SALT, compress=True)


def expectation_unseal(token: str, *, episode_id: uuid.UUID) -> dict[str, Any]:
    """The figure sealed by `expectation_seal` for this episode; InvalidInput when altered, foreign or stale."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise InvalidInput(
            [
                (
                    "expectation",
                    "The expectation figure on this page is out of date; reload the page "
                    "to show the current one before signing.",
                )
            ]
        ) from exc
    except signing.BadSignature as exc:
        raise InvalidInput(
            [("expectation", "The expectation figure sent back is not the one shown; reload the page.")]
        ) from exc
    if data.get("episode") != str(episode_id) or not isinstance(data.get("shown"), dict):
        raise InvalidInput(
            [("expectation", "The expectation figure sent back belongs to another episode; reload the page.")]
        )
    return dict(data["shown"])


def expectation_rows(shown: dict[str, Any]) -> list[tuple[str, str]]:
    """The figure as label-value rows for the page (the message carries the words; these the numbers)."""
    rows = [("Similar past patients (n)", str(shown.get("n_similar", 0)))]
    share, ci = shown.get("responder_share"), shown.get("ci95")
    if shown.get("enough") and share is not None and ci:
        when = str(shown.get("timepoint", ""))
        rows.append((f"Reached a meaningful improvement in pain at {when}", f"{share:.0%}"))
        rows.append(("95% confidence interval", f"{ci[0]:.0%} to {ci[1]:.0%}"))
        if shown.get("reintervention_share") is not None:
            rows.append(("Had a further operation or injection later", f"{shown['reintervention_share']:.0%}"))
    return rows
