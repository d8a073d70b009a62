"""A patient's own progress report (PDF, WeasyPrint as the cohort report): scores over time per instrument
with the baseline, the MCID and its source, the follow-up schedule, the adverse events recorded, and the same
plain words and caveat as the patient's page. Reading it is logged as a read of the patient's record."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.analytics.charts import patient_chart
from handregen.analytics.report import _refuse_fetch
from handregen.analytics.selectors import _chart_range
from handregen.audit.services import access_record
from handregen.errors import NotFound
from handregen.outcomes.instruments import load_instrument
from handregen.outcomes.progress import CAVEAT, PATIENT_WORDS, ScorePoint, episode_progress, number
from handregen.outcomes.responders import MCIDS
from handregen.outcomes.schedule import STATUS_WORDS
from handregen.outcomes.selectors import cycle_scores, episode_follow_ups, patient_progress
from handregen.pathway.models import Episode
from handregen.safety.selectors import episode_adverse_events

CHANNEL = "pdf"


def _rows(points: list[ScorePoint], whole: bool) -> list[dict[str, str]]:
    baseline = next((p for p in points if p.days is None), None)
    rows = []
    for p in sorted(points, key=lambda p: -1 if p.days is None else p.days):
        change = "" if baseline is None or p is baseline else f"{p.value - baseline.value:+.1f}"
        rows.append(
            {
                "label": p.label,
                "days": "" if p.days is None else str(p.days),
                "value": number(p.value, whole=whole),
                "change": change,
            }
        )
    return rows


def _section(code: str, points: list[ScorePoint]) -> dict[str, Any]:
    definition = load_instrument(code)
    baseline = next((p.value for p in points if p.days is None), None)
    after = sorted(((p.label, p.days, p.value) for p in points if p.days is not None), key=lambda p: p[1])
    mcid = MCIDS.get(code)
    values = [p.value for p in points]
    chart = patient_chart(
        definition.name,
        [(label, int(days), value) for label, days, value in after],
        baseline=baseline,
        mcid=mcid.value if mcid else None,
        higher_is_worse=definition.higher_is_worse,
        value_range=_chart_range(definition.score_range.min, definition.score_range.max, values),
    )
    return {
        "code": code,
        "name": definition.name,
        "direction": "lower is better" if definition.higher_is_worse else "higher is better",
        "rows": _rows(points, PATIENT_WORDS[code].whole_numbers),
        "baseline": number(baseline) if baseline is not None else "",
        "mcid": mcid,
        "chart": chart,
    }


def patient_progress_report_context(*, actor: Actor, episode: Episode) -> dict[str, Any]:
    """Everything the progress report shows for the episode's current treatment cycle (site-scoped)."""
    actor.require(Permission.PATIENT_VIEW)
    if episode.site_id != actor.site.pk:  # callers pass a site-scoped episode; never trust that alone
        raise NotFound("episode")
    access_record(actor=actor, patient_id=episode.patient_id, category="progress_report", channel=CHANNEL)
    scores = cycle_scores(episode=episode, cycle=episode.cycle)
    sections = [_section(code, scores[code]) for code in PATIENT_WORDS if code in scores]
    directions = {code: load_instrument(code).higher_is_worse for code in scores}
    schedule = [
        {"row": row, "status": STATUS_WORDS.get(row.status, row.status)}
        for row in episode_follow_ups(actor=actor, episode=episode, channel=CHANNEL)
        if row.follow_up.cycle == episode.cycle
    ]
    return {
        "site": actor.site,
        "episode": episode,
        "patient": episode.patient,
        "generated": timezone.localtime(timezone.now()),
        "sections": sections,
        "progress": episode_progress(scores, higher_is_worse=directions),
        "first_check": patient_progress(episode=episode, cycle=episode.cycle).first_check,
        "caveat": CAVEAT,
        "schedule": schedule,
        "adverse_events": list(episode_adverse_events(actor=actor, episode=episode, channel=CHANNEL)),
    }


def render_patient_progress_pdf(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported here: loading WeasyPrint is slow and only the PDFs need it

    html = render_to_string("analytics/patient_progress_pdf.html", context)
    return bytes(HTML(string=html, url_fetcher=_refuse_fetch).write_pdf())
