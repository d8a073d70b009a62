"""A printable PDF of a signed consent (WeasyPrint): who signed, when, what it means, on which exact text."""

from __future__ import annotations

from datetime import UTC

from django.template.loader import render_to_string
from django.utils import timezone

from handregen.consent.models import Consent, Signature
from handregen.consent.text import document_html
from handregen.signatures.selectors import local_with_offset, signature_views


def consent_pdf(*, consent: Consent, signature: Signature) -> bytes:
    """The signed consent as PDF: signer, time signed (UTC and the site's zone), meaning, version, sha256, text."""
    from weasyprint import HTML  # imported here: loading WeasyPrint is slow and only this needs it

    zone = consent.site.zone
    html = render_to_string(
        "consent/consent_pdf.html",
        {
            "consent": consent,
            "signature": signature,
            "document": consent.document,
            "document_html": document_html(consent.document.text),
            "patient": consent.patient,
            "episode": consent.episode,
            "site": consent.site,
            "signed_utc": signature.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "signed_local": local_with_offset(signature.signed_at, zone.key),
            "signature_views": signature_views(consent, zone_name=zone.key),
            "zone": zone.key,
            "valid": signature.is_valid_for(consent),
            "withdrawn_local": timezone.localtime(consent.withdrawn_at, zone).strftime("%Y-%m-%d %H:%M")
            if consent.withdrawn_at
            else "",
        },
    )
    return bytes(HTML(string=html, url_fetcher=_no_fetching).write_pdf())


def _no_fetching(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """The consent PDF needs nothing from outside: refuse every fetch (no file or network access)."""
    raise ValueError(f"the consent PDF does not fetch resources ({url[:40]})")
