"""The cohort dashboard: figures per time point with their uncertainty, the flow, and the report."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpResponse
from django.shortcuts import render

from handregen.accounts.roles import Permission
from handregen.analytics import selectors
from handregen.analytics.charts import change_chart
from handregen.analytics.dataset import CohortFilters
from handregen.analytics.flow import flow_svg
from handregen.analytics.forms import CohortForm
from handregen.edge.access import StaffRequest, staff_page
from handregen.errors import Forbidden, NotFound
from handregen.outcomes.responders import MCIDS
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.models import Protocol


@staff_page
def dashboard(request: StaffRequest) -> HttpResponse:
    actor = request.actor
    if not actor.can(Permission.COHORT_VIEW_DEIDENTIFIED):
        raise Http404
    form = CohortForm(request.GET or None)
    if request.GET and form.is_valid():
        data, filters = form.cleaned_data, form.filters()
    else:  # first visit, or an invalid choice (its error shows next to the field): the whole cohort
        data, filters = {"instrument": "nrs", "missing": "complete_case", "include_synthetic": False}, CohortFilters()
    protocol = Protocol.objects.filter(code=actor.site.default_protocol_code, is_current=True).first()
    timepoints = [p.code for p in protocol.definition.follow_up] if protocol else []
    rows, flow, model = selectors.cohort_dashboard(
        actor=actor,
        instrument=data["instrument"],
        timepoints=timepoints,
        filters=filters,
        missing=data["missing"],
        include_synthetic=bool(data.get("include_synthetic")),
    )
    label = rows[0]["synthetic_label"] if rows else ""
    left_out = 0 if data.get("include_synthetic") else selectors.synthetic_patients_at_site(actor=actor)
    mcid = MCIDS[data["instrument"]].value if data["instrument"] in MCIDS else None
    chart = change_chart(
        f"Mean change from baseline (95% CI). {label}" if label else "Mean change from baseline (95% CI)",
        [(r["timepoint"], r["mean_change"], r["ci95"], r["n_assessed"]) for r in rows],
        mcid=mcid,
        higher_is_worse=rows[0]["higher_is_worse"] if rows else True,
    )
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "rows": rows,
            "chart": chart,
            "flow_svg": flow_svg(flow, note=label),
            "synthetic_label": label,
            "synthetic_left_out": left_out,
            "instrument": data["instrument"],
            "model": model,
        },
    )


@staff_page
def report_pdf(request: StaffRequest) -> HttpResponse:
    from handregen.analytics.report import cohort_report_context, render_cohort_report_pdf

    actor = request.actor
    if not actor.can(Permission.COHORT_VIEW_DEIDENTIFIED):
        raise Http404
    response = HttpResponse(
        render_cohort_report_pdf(cohort_report_context(actor=actor)), content_type="application/pdf"
    )
    response["Content-Disposition"] = 'attachment; filename="cohort-report.pdf"'
    return response


@staff_page
def patient_progress_pdf(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """One patient's progress report for the episode's current cycle; another site's episode is a 404."""
    from handregen.analytics.patient_report import patient_progress_report_context, render_patient_progress_pdf

    actor = request.actor
    try:
        episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id)
        context = patient_progress_report_context(actor=actor, episode=episode)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc
    response = HttpResponse(render_patient_progress_pdf(context), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="progress-{episode.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
