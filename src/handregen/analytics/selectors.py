"""Cohort figures for an actor: the site's data, de-identified aggregates only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.analytics.cohort import outcome_figures
from handregen.analytics.dataset import (
    CohortFilters,
    as_text,
    compact_keys,
    episodes_frame,
    filter_episodes,
    follow_ups_frame,
    scores_frame,
    uuids,
)
from handregen.analytics.expectation import MIN_SIMILAR, Expectation, expectation_for, nrs_band


def cohort_outcomes(
    *,
    actor: Actor,
    instrument: str,
    timepoint: str,
    filters: CohortFilters,
    subscale: str = "",
    missing: str = "complete_case",
) -> dict[str, Any]:
    """Figures for one instrument at one time point over the actor's site, with the filters applied."""
    return cohort_outcomes_table(
        actor=actor, instruments=[instrument], timepoints=[timepoint], filters=filters, subscale=subscale,
        missing=missing,
    )[0]


def cohort_outcomes_table(
    *,
    actor: Actor,
    instruments: list[str],
    timepoints: list[str],
    filters: CohortFilters,
    subscale: str = "",
    missing: str = "complete_case",
) -> list[dict[str, Any]]:
    """Figures for every instrument at every time point (instrument-major order), from one read of the site's
    data: the dashboard's table and the API's single cell share this path."""
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    scores = scores_frame(sites, subscales=bool(subscale), instruments=instruments)
    frames = episodes_frame(sites), follow_ups_frame(sites), scores
    return _outcome_rows(*frames, instruments, timepoints, filters, subscale, missing)


def cohort_dashboard(
    *, actor: Actor, instrument: str, timepoints: list[str], filters: CohortFilters, missing: str
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The dashboard's table for `instrument` and the site's patient flow, from one read of the frames both use."""
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    episodes, follow_ups = episodes_frame(sites), follow_ups_frame(sites)
    rows = _outcome_rows(
        episodes,
        follow_ups,
        scores_frame(sites, subscales=False, instruments=[instrument]),
        [instrument],
        timepoints,
        filters,
        "",
        missing,
    )
    return rows, _flow(actor, episodes, follow_ups)


def _outcome_rows(
    episodes: pd.DataFrame,
    follow_ups: pd.DataFrame,
    scores: pd.DataFrame,
    instruments: list[str],
    timepoints: list[str],
    filters: CohortFilters,
    subscale: str,
    missing: str,
) -> list[dict[str, Any]]:
    episodes, follow_ups, scores = compact_keys(filter_episodes(episodes, filters), follow_ups, scores)
    today = timezone.localdate()
    return [
        asdict(
            outcome_figures(
                scores=scores,
                episodes=episodes,
                follow_ups=follow_ups,
                instrument=instrument,
                timepoint=timepoint,
                today=today,
                subscale=subscale,
                missing=missing,
            )
        )
        | {"filters": filters.as_dict()}
        for instrument in instruments
        for timepoint in timepoints
    ]


def past_patients_frame(sites: list[Any], *, timepoint: str) -> pd.DataFrame:
    """One row per past episode assessed for pain at baseline and `timepoint`, with its matching columns."""
    from handregen.safety.models import Reintervention

    episodes = episodes_frame(sites)
    nrs = scores_frame(sites, subscales=False, instruments=["nrs"], timepoints=["baseline", timepoint])
    base = nrs[nrs["timepoint"] == "baseline"].drop_duplicates("episode_id").set_index("episode_id")["value"]
    follow = nrs[nrs["timepoint"] == timepoint].drop_duplicates("episode_id").set_index("episode_id")["value"]
    paired = pd.DataFrame({"baseline": base, "follow_up": follow}).dropna()
    # Responder: pain decreased by at least 30% (Farrar 2001); a baseline of 0 cannot improve by a share.
    paired = paired[paired["baseline"] > 0]
    paired["responder"] = 100 * (paired["baseline"] - paired["follow_up"]) >= 30 * paired["baseline"]
    paired["baseline_nrs_band"] = [nrs_band(v) for v in paired["baseline"]]
    operated = set(Reintervention.objects.filter(site_id__in=sites).values_list("episode_id", flat=True))
    frame = episodes.set_index("episode_id").join(paired, how="inner")
    frame["reintervention"] = [e in operated for e in frame.index]
    return frame.reset_index()[
        ["indication", "stage", "age_band", "sex", "baseline_nrs_band", "responder", "reintervention"]
    ]


def expectation(
    *,
    actor: Actor,
    indication: str,
    stage: str | None,
    age: int | None,
    sex: str | None,
    baseline_nrs: float | None,
    timepoint: str = "m6",
    min_n: int = MIN_SIMILAR,
) -> Expectation:
    """What happened to similar past patients of the actor's site (shown in the consent discussion)."""
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    past = past_patients_frame([actor.site.pk], timepoint=timepoint)
    return expectation_for(
        past,
        indication=indication,
        stage=stage,
        age=age,
        sex=sex,
        baseline_nrs=baseline_nrs,
        timepoint=timepoint,
        min_n=min_n,
    )


def patient_flow(*, actor: Actor) -> list[Any]:
    """The site's patient flow from referral to each follow-up, with reasons for leaving."""
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    return _flow(actor, episodes_frame(sites), follow_ups_frame(sites))


def _flow(actor: Actor, episodes: pd.DataFrame, follow_ups: pd.DataFrame) -> list[Any]:
    """The flow from frames already read (whole site, UUID episode ids)."""
    from handregen.analytics.flow import flow_steps
    from handregen.audit.models import AuditEvent
    from handregen.evaluation.models import CandidacyDecision
    from handregen.outcomes.models import QuestionnaireResponse
    from handregen.pathway.models import Protocol
    from handregen.procedures.models import Injection

    sites = [actor.site.pk]
    decisions = pd.DataFrame.from_records(
        CandidacyDecision.objects.filter(site_id__in=sites)
        .order_by("decided_at")
        .values_list("episode_id", "decision"),
        columns=["episode_id", "decision"],
    ).drop_duplicates("episode_id", keep="last")
    injected = set(Injection.objects.filter(site_id__in=sites, cycle=1).values_list("episode_id", flat=True))
    seen = pd.DataFrame.from_records(
        QuestionnaireResponse.objects.filter(site_id__in=sites, follow_up__cycle=1)
        .annotate(key=as_text("episode_id"))
        .values_list("key", "follow_up__timepoint")
        .distinct(),
        columns=["episode_id", "timepoint"],
    )
    assessed = set(zip(uuids(seen["episode_id"]), seen["timepoint"], strict=True))
    withdrawals = {
        e: r
        for e, r in AuditEvent.objects.filter(site_id__in=sites, action="episode.withdraw", outcome="done").values_list(
            "episode_id", "reason"
        )
    }
    protocol = Protocol.objects.filter(code=actor.site.default_protocol_code, is_current=True).first()
    timepoints = [p.code for p in protocol.definition.follow_up] if protocol else []
    return flow_steps(
        episodes=episodes,
        decisions=decisions,
        injected=injected,
        follow_ups=follow_ups,
        assessed=assessed,
        withdrawals=withdrawals,
        timepoints=timepoints,
        today=timezone.localdate(),
    )


def reintervention_survival(*, actor: Actor, at_days: tuple[int, ...] = (180, 365, 730)) -> Any:
    """Kaplan-Meier estimate of staying free of re-intervention after the first injection."""
    from handregen.analytics.stats import kaplan_meier
    from handregen.procedures.models import Injection
    from handregen.safety.models import Reintervention

    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    injected = dict(Injection.objects.filter(site_id__in=sites, cycle=1).values_list("episode_id", "performed_at"))
    first_event: dict[Any, Any] = {}
    for episode_id, on in (
        Reintervention.objects.filter(site_id__in=sites)
        .order_by("performed_on")
        .values_list("episode_id", "performed_on")
    ):
        first_event.setdefault(episode_id, on)
    today = timezone.localdate()
    durations, events = [], []
    for episode_id, performed_at in injected.items():
        start = timezone.localtime(performed_at).date()
        event_on = first_event.get(episode_id)
        durations.append(((event_on or today) - start).days)
        events.append(event_on is not None)
    return kaplan_meier(durations, events, at=at_days)


def adverse_event_rates(*, actor: Actor) -> list[dict[str, Any]]:
    """Adverse events per 100 injections, by grade and by seriousness, with exact CIs."""
    from handregen.analytics.stats import event_rate_per_100
    from handregen.procedures.models import Injection
    from handregen.safety.models import AdverseEvent

    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    n = Injection.objects.filter(site_id__in=sites).count()
    events = pd.DataFrame.from_records(
        AdverseEvent.objects.filter(site_id__in=sites, retracted_at__isnull=True)  # entered in error: not counted
        .values_list("episode_id", "cycle", "grade", "serious"),
        columns=["episode_id", "cycle", "grade", "serious"],
    )
    rows = []
    groups: list[tuple[str, pd.DataFrame]] = [(f"grade {g}", events[events["grade"] == g]) for g in range(1, 6)]
    groups += [("serious", events[events["serious"]]), ("any", events)]
    for label, subset in groups:
        # At most one counted per injection: patients with an event of this kind, per procedure.
        k = int(subset.drop_duplicates(["episode_id", "cycle"]).shape[0])
        rate = event_rate_per_100(min(k, n), n) if n else None
        rows.append(
            {
                "kind": label,
                "procedures": n,
                "with_event": k,
                "per_100": rate.rate_per_100 if rate else None,
                "ci95": [rate.ci_low, rate.ci_high] if rate and rate.ci_low is not None else None,
            }
        )
    return rows


CHART_INSTRUMENTS = ("nrs", "quickdash", "prwe", "mhq", "grip")


def episode_charts(*, actor: Actor, episode: Any) -> list[dict[str, Any]]:
    """One chart per outcome of the episode's current cycle: score by days since injection, with baseline
    and MCID band (two queries, whatever the number of responses)."""
    from handregen.analytics.charts import patient_chart
    from handregen.outcomes.instruments import load_instrument
    from handregen.outcomes.models import FollowUp, QuestionnaireResponse
    from handregen.outcomes.responders import MCIDS

    actor.require(Permission.PATIENT_VIEW)
    follow_ups = {f.pk: f for f in FollowUp.objects.filter(episode=episode, cycle=episode.cycle, site=actor.site)}
    responses = QuestionnaireResponse.objects.filter(
        follow_up_id__in=list(follow_ups), scorable=True, instrument__in=CHART_INSTRUMENTS
    )
    by_instrument: dict[str, list[tuple[str, int, float]]] = {}
    baselines: dict[str, float] = {}
    for r in responses:
        if r.side and r.side != episode.side:
            continue
        fu = follow_ups[r.follow_up_id]
        if fu.timepoint == "baseline":
            baselines[r.instrument] = float(r.total)  # type: ignore[arg-type]
        else:
            by_instrument.setdefault(r.instrument, []).append((fu.timepoint, int(fu.days or 0), float(r.total)))  # type: ignore[arg-type]
    charts = []
    for code in CHART_INSTRUMENTS:
        if code not in by_instrument and code not in baselines:
            continue
        definition = load_instrument(code)
        points = sorted(by_instrument.get(code, []), key=lambda p: p[1])
        values = [p[2] for p in points] + ([baselines[code]] if code in baselines else [])
        mcid = MCIDS[code].value if code in MCIDS else None
        svg = patient_chart(
            definition.name,
            points,
            baseline=baselines.get(code),
            mcid=mcid,
            higher_is_worse=definition.higher_is_worse,
            value_range=_chart_range(definition.score_range.min, definition.score_range.max, values),
        )
        charts.append({"instrument": code, "svg": svg})
    return charts


def _chart_range(low: float | None, high: float | None, values: list[float]) -> tuple[float, float]:
    """The instrument's own range where it has one (grip in kg has no upper bound: fit the values)."""
    return (low if low is not None else 0.0, high if high is not None else max(values, default=10.0) * 1.25)


def trajectory_model(*, actor: Actor, instrument: str, timepoints: list[str]) -> dict[str, Any]:
    """A mixed-effects model of the instrument's total over time (random intercept per patient), with the
    baseline stage and the cell source as covariates, and its caveats."""
    from handregen.analytics.stats import mixed_model_trajectory

    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    episodes = episodes_frame(sites)[["episode_id", "patient_id", "stage", "source"]]
    scores = scores_frame(sites)
    chosen = scores[(scores["instrument"] == instrument) & (scores["subscale"] == "")]
    frame = chosen.merge(episodes, on="episode_id").rename(columns={"value": "score"})
    frame = frame.dropna(subset=["stage", "source"])
    terms = [f"C({c})" for c in ("stage", "source") if frame[c].nunique() > 1]
    result = mixed_model_trajectory(frame, terms, timepoint_order=["baseline", *timepoints])
    return result.as_dict()


def episode_expectation_inputs(episode: Any) -> dict[str, Any]:
    """What the record says about this patient for matching: indication, baseline stage, age, sex, baseline pain.

    The stage is read as the cohort reads it (latest imaging: Eaton-Littler, else Kellgren-Lawrence). Baseline
    pain is the cycle's baseline NRS questionnaire when recorded (what past patients were matched on), else the
    consultation's pain on load; which one is said, so the figure can be read with it.
    """
    from handregen.evaluation.models import ImagingStudy
    from handregen.evaluation.selectors import latest_consultation
    from handregen.outcomes.models import QuestionnaireResponse
    from handregen.outcomes.schedule import age_on
    from handregen.outcomes.selectors import site_today

    imaging = (
        ImagingStudy.objects.filter(episode_id=episode.pk, site_id=episode.site_id).order_by("-study_date").first()
    )
    stage = None
    if imaging is not None and imaging.eaton_littler_stage:
        stage = imaging.eaton_littler_stage
    elif imaging is not None and imaging.kl_grade is not None:
        stage = f"KL{imaging.kl_grade}"
    baseline = (
        QuestionnaireResponse.objects.filter(
            episode_id=episode.pk, site_id=episode.site_id, instrument="nrs", scorable=True,
            follow_up__cycle=episode.cycle, follow_up__timepoint="baseline",
        )
        .values_list("total", flat=True)
        .first()
    )
    nrs, nrs_from = (baseline, "baseline pain questionnaire") if baseline is not None else (None, "")
    if nrs is None:
        consultation = latest_consultation(episode)
        if consultation is not None:
            nrs, nrs_from = float(consultation.nrs_pain_load), "consultation, pain on load"
    patient = episode.patient
    return {
        "indication": episode.indication,
        "stage": stage,
        "age": age_on(patient.birth_date, site_today(episode.site)),
        "sex": patient.sex or None,
        "baseline_nrs": nrs,
        "baseline_nrs_from": nrs_from,
    }


def episode_expectation(*, actor: Actor, episode: Any) -> dict[str, Any]:
    """The expectation figure for this patient, as shown in the consent discussion and stored with the consent:
    the answer of `expectation` plus the patient's values it was computed from and when."""
    inputs = episode_expectation_inputs(episode)
    answer = expectation(
        actor=actor,
        indication=inputs["indication"],
        stage=inputs["stage"],
        age=inputs["age"],
        sex=inputs["sex"],
        baseline_nrs=inputs["baseline_nrs"],
    )
    return answer.as_dict() | {"inputs": inputs, "computed_at": timezone.now().isoformat(timespec="seconds")}
