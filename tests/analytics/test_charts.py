"""Charts are inline SVG on pages whose CSP forbids inline styles: they must draw with attributes alone."""

from __future__ import annotations

import re
import xml.dom.minidom

from handregen.analytics.charts import change_chart


def _chart() -> str:
    return change_chart("NRS", [("baseline", 7.0, None, 10), ("m3", 4.0, [3.0, 5.0], 8)], mcid=2.0,
                        higher_is_worse=True)


def test_chart_has_no_inline_style_the_csp_would_drop() -> None:
    svg = _chart()
    assert "<style" not in svg
    assert re.search(r"\sstyle=", svg) is None


def test_mcid_band_keeps_its_translucent_fill_as_presentation_attributes() -> None:
    svg = _chart()
    band = re.search(r'<path[^>]*fill="#f2b705"[^>]*>', svg)
    assert band is not None and 'opacity="0.15"' in band.group(0)


def test_chart_is_well_formed_svg() -> None:
    root = xml.dom.minidom.parseString(_chart()).documentElement  # noqa: S318 (our own output)
    assert root.tagName == "svg" and root.getAttribute("stroke-linecap") == "butt"
