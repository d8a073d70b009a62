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


def test_the_report_shows_each_mixed_model_or_says_why_it_was_not_fitted(persona, demo_site):
    from handregen.analytics.report import cohort_report_context, render_cohort_report_html
    from handregen.analytics.synthetic.writer import synth_registry

    synth_registry(site=demo_site, count=60, seed=13)
    context = cohort_report_context(actor=persona("researcher"), include_synthetic=True)
    models = [section["model"] for section in context["sections"]]
    assert models[0]["fitted"] and "slope for years per patient" in models[0]["random_effects"]
    assert all(m["fitted"] or m["reason"] for m in models)
    html = render_cohort_report_html(context)
    assert "Not fitted: \n" not in html and "Not fitted: <" not in html
    assert "6 months (vs baseline)" in html and "between patients" in html
