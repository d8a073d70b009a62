"""Export tables that the cohort analytics read besides scores: follow-up windows and schedules, injections,
re-interventions, candidacy decisions, and each episode's baseline stage and cell source. With patients,
episodes, scores and adverse events they reproduce every figure of the outcomes endpoint and the report."""

from __future__ import annotations

from typing import Any

from handregen.accounts.actor import Actor
from handregen.interop.tables import TABLES, Column, Table

FOLLOW_UP_FIELDS = (
    "episode_id", "patient_id", "cycle", "timepoint", "days", "injected_on", "due_from", "due_until", "instruments",
    "completed_at", "superseded_at",
)  # fmt: skip


def _follow_up_rows(actor: Actor) -> Any:
    from handregen.outcomes.models import FollowUp

    rows = (
        FollowUp.objects.filter(site=actor.site).order_by("episode_id", "cycle", "days").values_list(*FOLLOW_UP_FIELDS)
    )
    for row in rows.iterator(chunk_size=10000):
        yield (*row[:8], " ".join(row[8] or []), *row[9:])


def _injection_rows(actor: Actor) -> Any:
    from handregen.procedures.models import Injection

    return (
        Injection.objects.filter(site=actor.site)
        .order_by("performed_at")
        .values_list("id", "episode_id", "patient_id", "cycle", "joint", "side", "performed_at", "product__source")
        .iterator(chunk_size=5000)
    )


def _reintervention_rows(actor: Actor) -> Any:
    from handregen.safety.models import Reintervention

    return (
        Reintervention.objects.filter(site=actor.site)
        .order_by("performed_on")
        .values_list("id", "episode_id", "patient_id", "type", "joint", "side", "performed_on")
        .iterator(chunk_size=5000)
    )


def _candidacy_rows(actor: Actor) -> Any:
    from handregen.evaluation.models import CandidacyDecision

    return (
        CandidacyDecision.objects.filter(site=actor.site)
        .order_by("decided_at")
        .values_list("id", "episode_id", "patient_id", "decision", "decided_at")
        .iterator(chunk_size=5000)
    )


def _baseline_rows(actor: Actor) -> Any:
    """One row per episode: the stage the cohort uses (latest imaging: Eaton-Littler, else KL) and cell source."""
    from handregen.analytics.dataset import episodes_frame

    frame = episodes_frame([actor.site.pk])
    for row in frame[["episode_id", "patient_id", "stage", "source", "method", "age"]].itertuples(index=False):
        yield tuple(None if _missing(v) else v for v in row)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


ID = "uuid"
FOLLOW_UPS = TABLES.add(
    Table(
        "follow_ups",
        "One row per follow-up time point of each cycle (and each cycle's baseline), with its window and schedule.",
        (
            Column("episode_id", "Episode id", ID, deid="study_code"),
            Column("patient_id", "Patient id", ID, deid="study_code"),
            Column("cycle", "Treatment cycle", "integer"),
            Column("timepoint", "Time point code of the protocol (baseline, w2, m6, ...)", "string"),
            Column("days", "Scheduled days after the injection (empty for the baseline)", "integer", unit="days"),
            Column("injected_on", "Day of the cycle's injection", "date", deid="year"),
            Column("due_from", "Window opens", "date", deid="year"),
            Column("due_until", "Window closes", "date", deid="year"),
            Column("instruments", "Measures scheduled at this time point (space-separated codes)", "string"),
            Column("completed_at", "Completed (empty: not completed)", "datetime", deid="year"),
            Column("superseded_at", "Superseded by a rescheduled cycle (empty: current)", "datetime", deid="year"),
        ),
        _follow_up_rows,
    )
)
INJECTIONS = TABLES.add(
    Table(
        "injections",
        "One row per injection (procedure).",
        (
            Column("injection_id", "Injection id", ID, deid="study_code"),
            Column("episode_id", "Episode id", ID, deid="study_code"),
            Column("patient_id", "Patient id", ID, deid="study_code"),
            Column("cycle", "Treatment cycle", "integer"),
            Column("joint", "Joint injected", "string"),
            Column("side", "Side", "string", allowed="left|right"),
            Column("performed_at", "Time of the injection", "datetime", deid="year"),
            Column("cell_source", "Cell source of the product", "string", allowed="adipose|bone_marrow"),
        ),
        _injection_rows,
    )
)
REINTERVENTIONS = TABLES.add(
    Table(
        "reinterventions",
        "One row per later operation or injection on the treated joint (the event of the survival analysis).",
        (
            Column("reintervention_id", "Re-intervention id", ID, deid="study_code"),
            Column("episode_id", "Episode id", ID, deid="study_code"),
            Column("patient_id", "Patient id", ID, deid="study_code"),
            Column("type", "Kind of re-intervention", "string"),
            Column("joint", "Joint", "string"),
            Column("side", "Side", "string", allowed="left|right"),
            Column("performed_on", "Day performed", "date", deid="year"),
        ),
        _reintervention_rows,
    )
)
CANDIDACY = TABLES.add(
    Table(
        "candidacy_decisions",
        "One row per candidacy decision (the latest per episode counts in the flow diagram).",
        (
            Column("decision_id", "Decision id", ID, deid="study_code"),
            Column("episode_id", "Episode id", ID, deid="study_code"),
            Column("patient_id", "Patient id", ID, deid="study_code"),
            Column("decision", "Decision", "string", allowed="eligible|ineligible|deferred"),
            Column("decided_at", "Decided", "datetime", deid="year"),
        ),
        _candidacy_rows,
    )
)
BASELINE = TABLES.add(
    Table(
        "episode_baseline",
        "One row per episode: the baseline stage and cell source as the cohort figures use them.",
        (
            Column("episode_id", "Episode id", ID, deid="study_code"),
            Column("patient_id", "Patient id", ID, deid="study_code"),
            Column("stage", "Stage at baseline: Eaton-Littler I-IV, else Kellgren-Lawrence KL0-KL4", "string"),
            Column("cell_source", "Cell source of the first cycle's product", "string"),
            Column("processing_method", "Processing method of that product", "string"),
            Column("age", "Age at the first injection (or at referral)", "integer", unit="years", deid="drop"),
        ),
        _baseline_rows,
    )
)
