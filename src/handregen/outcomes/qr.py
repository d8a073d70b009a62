"""A QR code of a patient's link, drawn on the server as SVG (segno), for handing over in the clinic."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str, *, title: str) -> SafeString:
    """Inline SVG of `url` (error correction M, survives a smudged screen); no style attribute, so the page's
    `style-src 'self'` policy keeps it whole."""
    code = segno.make(url, error="m", micro=False)
    return mark_safe(code.svg_inline(scale=4, title=title, svgclass="qr", lineclass="qr-modules"))  # noqa: S308 - segno's own markup of our own URL
