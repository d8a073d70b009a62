"""The cohort report (HTML and PDF): figures, charts and a methods section that says what they cannot show."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.analytics import selectors
from handregen.analytics.baseline_table import baseline_table, completers_and_dropouts, pgic_summary
from handregen.analytics.charts import change_chart, survival_chart
from handregen.analytics.dataset import (
    CohortFilters,
    episodes_frame,
    follow_ups_frame,
    scores_frame,
    synthetic_label,
    synthetic_scope,
)
from handregen.analytics.flow import flow_svg
from handregen.labels import timepoint_words
from handregen.outcomes.instruments import load_instrument
from handregen.outcomes.responders import MCIDS
from handregen.pathway.models import Protocol

MIN_AT_RISK_DRAWN = 10

REPORT_INSTRUMENTS = ("nrs", "quickdash", "prwe", "mhq")


def cohort_report_context(
    *, actor: Actor, filters: CohortFilters | None = None, include_synthetic: bool = False
) -> dict[str, Any]:
    """Everything the cohort report shows; synthetic patients are left out unless `include_synthetic`, and a report
    that includes them says so on every page and chart."""
    filters = filters or CohortFilters()
    protocol = Protocol.objects.filter(code=actor.site.default_protocol_code, is_current=True).first()
    timepoints = [p.code for p in protocol.definition.follow_up] if protocol else []
    sites = [actor.site.pk]
    episodes, n_synthetic = synthetic_scope(episodes_frame(sites), include_synthetic=include_synthetic)
    label = synthetic_label(n_synthetic)
    model_frames = (
        episodes,
        follow_ups_frame(sites),
        scores_frame(sites, subscales=False, instruments=[*REPORT_INSTRUMENTS, "pgic"]),
    )
    sections = []
    for instrument in REPORT_INSTRUMENTS:
        rows = [
            selectors.cohort_outcomes(
                actor=actor, instrument=instrument, timepoint=t, filters=filters, include_synthetic=include_synthetic
            )
            for t in timepoints
        ]
        points = [(r["timepoint"], r["mean_change"], r["ci95"], r["n_assessed"]) for r in rows]
        mcid = MCIDS[instrument].value if instrument in MCIDS else None
        higher_is_worse = rows[0]["higher_is_worse"] if rows else True
        name = load_instrument(instrument).name  # people read the instrument's name, not its code
        sections.append(
            {
                "instrument": instrument,
                "name": name,
                "rows": rows,
                "chart": change_chart(
                    _titled(f"{name}: mean change from baseline (95% CI)", label),
                    points,
                    mcid=mcid,
                    higher_is_worse=higher_is_worse,
                )
                if any(p[1] is not None for p in points)
                else "",
                "model": selectors.trajectory_model(
                    actor=actor, instrument=instrument, timepoints=timepoints, frames=model_frames
                ),
            }
        )
    treated = set(episodes.loc[episodes["injected_on"].notna(), "episode_id"])
    main = "m6" if "m6" in timepoints else (timepoints[-1] if timepoints else "")
    main_words = timepoint_words(main)
    completers, dropouts = completers_and_dropouts(
        episodes, model_frames[1], model_frames[2], main, timezone.localdate()
    )
    table_one = baseline_table(
        episodes,
        model_frames[2],
        {"All treated": treated, f"Assessed at {main_words}": completers, f"Not assessed at {main_words}": dropouts},
    )
    survival = selectors.reintervention_survival(actor=actor, include_synthetic=include_synthetic)
    # The curve is drawn while enough episodes remain at risk; past that, one event moves it by a large step and
    # says little (the table below gives each figure with its interval and number at risk).
    steps = [(s.day, s.survival) for s in survival.steps if s.n_at_risk >= MIN_AT_RISK_DRAWN]
    flow = selectors.patient_flow(actor=actor, include_synthetic=include_synthetic)
    flow_patients = selectors.patient_flow(actor=actor, include_synthetic=include_synthetic, by="patient")
    return {
        "site": actor.site,
        "generated": timezone.now(),
        "filters": filters.as_dict(),
        "sections": sections,
        "flow": flow,
        "flow_svg": flow_svg(flow, note=label),
        "flow_patients_svg": flow_svg(flow_patients, note=label),
        "survival": survival,
        "survival_chart": survival_chart(
            [(0.0, 1.0), *steps],
            _titled(
                f"Free of re-intervention (Kaplan-Meier, drawn while {MIN_AT_RISK_DRAWN} or more are at risk)", label
            ),
        ),
        "adverse_events": selectors.adverse_event_rates(actor=actor, include_synthetic=include_synthetic),
        "protocol": protocol,
        "km_censoring": selectors.KM_CENSORING,
        "table_one": table_one,
        "table_one_groups": ["All treated", f"Assessed at {main_words}", f"Not assessed at {main_words}"],
        "pgic": pgic_summary(model_frames[2], treated, timepoints),
        "synthetic_patients": n_synthetic,
        "synthetic_label": label,
    }


def _titled(title: str, synthetic: str) -> str:
    """A chart title that carries the synthetic-data label when there is one."""
    return f"{title}. {synthetic}" if synthetic else title


def render_cohort_report_html(context: dict[str, Any]) -> str:
    return render_to_string("analytics/cohort_report.html", context)


def render_cohort_report_pdf(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_cohort_report_html(context | {"for_pdf": True})
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def _refuse_fetch(url: str) -> dict[str, Any]:
    # Everything the report needs is inline; never let a rendered value pull a file or a web address.
    raise ValueError(f"external resource refused: {url[:40]}")
