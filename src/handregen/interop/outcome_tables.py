"""Export tables of outcomes: the long table of scores (scores.csv) and adverse events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from handregen.accounts.actor import Actor
from handregen.interop.tables import TABLES, Column, Table


def _score_rows(actor: Actor) -> Iterator[tuple[Any, ...]]:
    """One row per score: the total (subscale "") and each subscale, with days since the cycle's injection."""
    from handregen.outcomes.models import QuestionnaireResponse

    rows = (
        QuestionnaireResponse.objects.filter(site=actor.site, scorable=True)
        .order_by("episode_id", "follow_up__cycle", "follow_up__days", "instrument")
        .values_list(
            "episode_id",
            "follow_up__cycle",
            "follow_up__timepoint",
            "instrument",
            "side",
            "total",
            "subscales",
            "scoring_version",
            "entered_at",
            "follow_up__injected_on",
            "late_baseline",
        )
    )
    for (
        episode_id,
        cycle,
        timepoint,
        instrument,
        side,
        total,
        subscales,
        version,
        entered_at,
        injected_on,
        late,
    ) in rows.iterator(chunk_size=10000):
        days = (entered_at.date() - injected_on).days if injected_on else None
        yield (episode_id, cycle, timepoint, instrument, side, "", total, days, version, late)
        for name, value in sorted((subscales or {}).items()):
            if value is not None:
                yield (episode_id, cycle, timepoint, instrument, side, name, value, days, version, late)


def _adverse_event_rows(actor: Actor) -> Any:
    from handregen.safety.models import AdverseEvent

    return (
        AdverseEvent.objects.filter(site=actor.site, retracted_at__isnull=True)  # entered in error: left out
        .order_by("onset_date")
        .values_list(
            "id",
            "episode_id",
            "cycle",
            "term",
            "onset_date",
            "grade",
            "serious",
            "relatedness",
            "outcome",
            "description",
        )
        .iterator(chunk_size=5000)
    )


SCORES = TABLES.add(
    Table(
        "scores",
        "Long table: one row per score (total and subscales) per time point.",
        (
            Column("episode_id", "Episode id", "uuid", deid="study_code"),
            Column("cycle", "Treatment cycle", "integer"),
            Column(
                "timepoint",
                "Time point (baseline = before the injection)",
                "string",
                allowed="baseline|w2|w6|m3|m6|m12 (protocol time points)",
                source="protocol follow_up",
            ),
            Column(
                "instrument",
                "Instrument",
                "string",
                allowed="nrs|quickdash|prwe|mhq|fihoa|pgic|grip|pinch",
                source="outcomes/instruments",
            ),
            Column("hand", "Hand measured (grip, pinch); empty for questionnaires", "string", allowed="left|right|"),
            Column("subscale", "Subscale (empty for the total)", "string"),
            Column("value", "Score", "number", unit="instrument's scale (kg for grip)"),
            Column("days_since_injection", "Days from the cycle's injection to the answer", "integer", unit="days"),
            Column("scoring_version", "Scoring rule version", "string"),
            Column(
                "late_baseline",
                "Late baseline: a baseline answered after the injection (not a true 'before')",
                "boolean",
            ),
        ),
        _score_rows,
    )
)

ADVERSE_EVENTS = TABLES.add(
    Table(
        "adverse_events",
        "One row per adverse event.",
        (
            Column("adverse_event_id", "Adverse event id", "uuid", deid="study_code"),
            Column("episode_id", "Episode id", "uuid", deid="study_code"),
            Column("cycle", "Treatment cycle", "integer"),
            Column("term", "Term", "string", source="safety/terms"),
            Column("onset_date", "Onset", "date", deid="year"),
            Column("grade", "CTCAE grade", "integer", allowed="1-5", source="CTCAE v5.0"),
            Column("serious", "Serious (ICH E2A)", "boolean"),
            Column(
                "relatedness",
                "Relatedness to the treatment (WHO-UMC)",
                "string",
                allowed="certain|probable|possible|unlikely|conditional|unassessable",
            ),
            Column("outcome", "Outcome", "string"),
            Column("description", "Description", "string", deid="drop"),
        ),
        _adverse_event_rows,
    )
)
