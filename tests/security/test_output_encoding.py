"""I3: the headers that stop injected script, and no template or view marks user text as safe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "handregen"
# Markup the code builds itself, never user text: the SVG charts (text escaped), the escaped flow diagram, and the
# consent document whose every piece is escaped in consent/text.py.
SAFE_ALLOWED = {
    ("web/templates/web/episode.html", "chart.svg|safe"),
    ("analytics/templates/analytics/dashboard.html", "chart|safe"),
    ("analytics/templates/analytics/dashboard.html", "flow_svg|safe"),
    ("analytics/templates/analytics/cohort_report.html", "flow_svg|safe"),
    ("analytics/templates/analytics/cohort_report.html", "flow_patients_svg|safe"),
    ("analytics/templates/analytics/cohort_report.html", "section.chart|safe"),
    ("analytics/templates/analytics/cohort_report.html", "survival_chart|safe"),
    ("analytics/templates/analytics/patient_progress_pdf.html", "section.chart|safe"),
}
# consent/text.py escapes every piece itself; outcomes/qr.py is segno's SVG of our own link (the link becomes
# path data, the title is escaped by segno; checked with markup in the title).
MARK_SAFE_ALLOWED = {"consent/text.py", "outcomes/qr.py"}


def _directives(header: str) -> dict[str, list[str]]:
    parts = [p.split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("who", ["anonymous", "staff", "api"])
def test_pages_send_a_csp_without_inline_code_and_with_nosniff(who, client, signed_in, api):
    if who == "anonymous":
        response = client.get("/login/")
    elif who == "staff":
        response = signed_in("physician").get("/patients/")
    else:
        response = api().get("/api/v1/patients")
    assert response.status_code == 200
    csp = _directives(response["Content-Security-Policy"])
    assert not any("unsafe" in value for values in csp.values() for value in values), csp
    assert csp["script-src"] == ["'self'"] and csp["default-src"] == ["'self'"]
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        assert csp[directive] == ["'none'"], directive
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_marks_a_value_safe_outside_the_generated_charts():
    found = set()
    for template in SRC.rglob("*.html"):
        text = template.read_text()
        for expression in re.findall(r"\{\{\s*([^}]*?\|\s*safe)\s*\}\}", text):
            found.add((str(template.relative_to(SRC)), expression.replace(" ", "")))
        assert "{% autoescape off" not in text, template
    assert found <= SAFE_ALLOWED, sorted(found - SAFE_ALLOWED)


def test_mark_safe_is_used_only_where_every_piece_is_escaped_first():
    users = {
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "mark_safe(" in p.read_text() and "migrations" not in p.parts
    }
    assert users <= MARK_SAFE_ALLOWED, sorted(users - MARK_SAFE_ALLOWED)
