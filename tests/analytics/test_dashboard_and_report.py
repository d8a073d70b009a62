"""The cohort report (PDF) with its methods section."""

from io import BytesIO

from django.core.management import call_command
from pypdf import PdfReader


def test_the_report_pdf_contains_its_methods_section(tmp_path, persona, demo_site):
    persona("researcher")
    out = tmp_path / "cohort.pdf"
    call_command("report", "cohort", "--out", str(out), "--user", "researcher.demo")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(out.read_bytes())).pages)
    assert "Methods." in text
    assert "What these figures cannot show" in text
    assert "Kaplan" in text
