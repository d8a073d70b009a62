"""Printable PDF labels for cell products and patient wristbands.

Pure functions, no Django: values in, PDF bytes out, so a label can be rendered and its barcode decoded
in a plain unit test. The barcode (Code 128, drawn as vector SVG so it stays sharp at any printer
resolution) encodes the scanned form of the code — with its check character — which is exactly what the
bedside check parses. Every caller-supplied value is HTML-escaped, and the renderer fetches nothing but
the embedded barcode, so a patient name can never become markup or a file read.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import barcode
from barcode.writer import SVGWriter
from weasyprint import HTML, default_url_fetcher

from handregen.cellproducts.identifiers import ProductCode
from handregen.patients.wristband import parse_wristband_code

AUTOLOGOUS_WARNING = "FOR AUTOLOGOUS USE ONLY"

_BASE_CSS = """
@page { size: %(width)s %(height)s; margin: 2.5mm; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", sans-serif; font-size: %(font_size)s; line-height: 1.2; color: black; }
body { margin: 0; }
.label { width: 100%%; overflow-wrap: anywhere; }
.site { font-size: 6pt; }
.warning { font-weight: bold; font-size: 8pt; border: 0.4mm solid black; padding: 0.3mm 1mm;
           display: inline-block; margin: 0.5mm 0; }
.barcode { display: block; margin: 0.5mm 0; }
.code { font-family: "DejaVu Sans Mono", monospace; font-size: 10pt; font-weight: bold; }
.check { border: 0.3mm solid black; padding: 0 0.6mm; margin-left: 1mm; }
.row { display: flex; gap: 3mm; }
.fixed { flex: none; } .identity { flex: 1; min-width: 0; }
dl { margin: 0; } dt { display: inline; font-size: 6pt; } dd { display: inline; margin: 0 2mm 0 0.5mm; }
"""


def _text(value: date | datetime | str | None) -> str:
    """A value as printed: dates ISO 8601, times to the minute with their zone when the caller gave one."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        shown = value.strftime("%Y-%m-%d %H:%M")
        zone = value.tzname()
        return f"{shown} {zone}" if zone else shown
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _esc(value: date | datetime | str | None) -> str:
    return html.escape(_text(value), quote=True)


def _barcode_img(data: str, *, module_mm: float, height_mm: float) -> str:
    """Code 128 of ``data`` as an inline SVG image; no human-readable text, the label prints its own."""
    # Code 128 needs a quiet zone of at least 10 modules on each side.
    options = {
        "module_width": module_mm,
        "module_height": height_mm,
        "quiet_zone": 10 * module_mm,
        "write_text": False,
        "compress": True,
        "margin_top": 0.0,
        "margin_bottom": 0.0,
    }
    svg = barcode.Code128(data, writer=SVGWriter()).render(options)
    encoded = base64.b64encode(svg).decode("ascii")
    return (
        f'<img class="barcode" alt="barcode {html.escape(data, quote=True)}" src="data:image/svg+xml;base64,{encoded}">'
    )


def _data_only_fetcher(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Refuse every resource except the embedded data: URIs this module writes itself."""
    if not url.startswith("data:"):
        raise ValueError(f"labels load no external resources (refused {url[:40]!r})")
    result: dict[str, Any] = default_url_fetcher(url, *args, **kwargs)
    return result


class LabelDoesNotFitError(ValueError):
    """The label's text does not fit even in the smallest type; it is refused rather than clipped."""


_FONT_SIZES = ("7.5pt", "6.5pt", "5.5pt")  # the smallest still legible on a 300 dpi label printer


def _render(body: str, *, title: str, width: str, height: str) -> bytes:
    """One-page PDF; long text first gets smaller type, and is never silently cut off."""
    for font_size in _FONT_SIZES:
        css = _BASE_CSS % {"width": width, "height": height, "font_size": font_size}
        source = (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{css}</style></head>"
            f'<body><div class="label">{body}</div></body></html>'
        )
        document = HTML(string=source, url_fetcher=_data_only_fetcher).render()
        if len(document.pages) == 1:
            pdf: bytes = document.write_pdf()
            return pdf
    raise LabelDoesNotFitError(f"the text of label {title!r} does not fit on a {width} x {height} label")


def _require(fields: dict[str, object], why: str) -> None:
    missing = [name for name, value in fields.items() if value is None or not str(value).strip()]
    if missing:
        raise ValueError(f"{why}: {', '.join(missing)} missing")


@dataclass(frozen=True)
class ProductLabel:
    """What a cell-product label shows; times are shown as given (convert to the site's zone first)."""

    code: ProductCode
    description: str
    expires: datetime | str
    autologous: bool
    patient_name: str = ""
    mrn: str = ""
    birth_date: date | str | None = None
    site_name: str = ""
    storage: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.code, ProductCode):
            raise TypeError("code must be a ProductCode (from format_product_code or parse_scanned_code)")
        _require({"description": self.description, "expiry": self.expires}, "a product label needs these")
        if self.autologous:
            # Autologous products are identified to their patient on the label itself (chain of identity).
            _require(
                {"patient name": self.patient_name, "MRN": self.mrn, "birth date": self.birth_date},
                "an autologous product label needs the patient's identity",
            )


@dataclass(frozen=True)
class WristbandLabel:
    """What a patient wristband shows; ``wristband_code`` must carry a valid check character."""

    wristband_code: str
    patient_name: str
    mrn: str
    birth_date: date | str
    site_name: str = ""

    def __post_init__(self) -> None:
        parse_wristband_code(self.wristband_code)  # raises WristbandCodeError on a bad code
        _require(
            {"patient name": self.patient_name, "MRN": self.mrn, "birth date": self.birth_date},
            "a wristband needs the patient's identity",
        )


def _patient_block(name: str, mrn: str, birth_date: date | str | None) -> str:
    return (
        f'<div class="patient"><strong>{_esc(name)}</strong>'
        f"<dl><dt>MRN</dt><dd>{_esc(mrn)}</dd><dt>Born</dt><dd>{_esc(birth_date)}</dd></dl></div>"
    )


def product_label_pdf(label: ProductLabel) -> bytes:
    """A 100 mm x 50 mm product label: barcode of the identifier with check character, eye-readable
    identifier with the check character boxed, description, expiry, and the patient for autologous use."""
    code = label.code
    readable = f"{code.facility} {code.year} {code.din[7:]}"
    parts = [
        f'<div class="site">{_esc(label.site_name)}</div>' if label.site_name else "",
        f'<div class="warning">{AUTOLOGOUS_WARNING}</div>' if label.autologous else "",
        _barcode_img(code.scanned, module_mm=0.3, height_mm=11.0),
        f'<div class="code">{html.escape(readable)}<span class="check">{code.check}</span></div>',
        f'<div class="description">{_esc(label.description)}</div>',
        f"<dl><dt>EXP</dt><dd><strong>{_esc(label.expires)}</strong></dd>"
        + (f"<dt>Storage</dt><dd>{_esc(label.storage)}</dd>" if label.storage else "")
        + "</dl>",
    ]
    if label.patient_name or label.mrn or label.birth_date:
        parts.append(_patient_block(label.patient_name, label.mrn, label.birth_date))
    return _render("".join(parts), title=f"Product {code.scanned}", width="100mm", height="50mm")


def wristband_label_pdf(band: WristbandLabel) -> bytes:
    """A 150 mm x 25 mm wristband insert: patient identity beside a barcode of the wristband code."""
    code = parse_wristband_code(band.wristband_code)
    site = f'<div class="site">{_esc(band.site_name)}</div>' if band.site_name else ""
    text = (
        f'<div class="identity">{site}{_patient_block(band.patient_name, band.mrn, band.birth_date)}'
        f'<div class="code">{html.escape(code)}</div></div>'
    )
    # Barcode first and fixed in size: a long name wraps (or gets smaller type) but never squeezes the bars.
    barcode_html = f'<div class="fixed">{_barcode_img(code, module_mm=0.25, height_mm=10.0)}</div>'
    return _render(
        f'<div class="row">{barcode_html}{text}</div>',
        title=f"Wristband {code}",
        width="150mm",
        height="25mm",
    )
