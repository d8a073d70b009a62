"""Cohort figures for an actor: the site's data, de-identified aggregates only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
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
    synthetic_label,
    synthetic_scope,
    uuids,
)
from handregen.analytics.expectation import MIN_SIMILAR, Expectation, expectation_for, nrs_band, stage_refusal


def cohort_outcomes(
    *,
    actor: Actor,
    instrument: str,
    timepoint: str,
    filters: CohortFilters,
    subscale: str = "",
    missing: str = "complete_case",
    include_synthetic: bool = False,
) -> dict[str, Any]:
    """Figures for one instrument at one time point over the actor's site, with the filters applied."""
    return cohort_outcomes_table(
        actor=actor,
        instruments=[instrument],
        timepoints=[timepoint],
        filters=filters,
        subscale=subscale,
        missing=missing,
        include_synthetic=include_synthetic,
    )[0]


def cohort_outcomes_table(
    *,
    actor: Actor,
    instruments: list[str],
    timepoints: list[str],
    filters: CohortFilters,
    subscale: str = "",
    missing: str = "complete_case",
    include_synthetic: bool = False,
) -> list[dict[str, Any]]:
    """Figures for every instrument at every time point (instrument-major order), from one read of the site's
    data: the dashboard's table and the API's single cell share this path. Synthetic patients are left out
    unless `include_synthetic`; each row then says how many it includes."""
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    scores = scores_frame(sites, subscales=bool(subscale), instruments=instruments_read(instruments))
    episodes, n_synthetic = synthetic_scope(episodes_frame(sites), include_synthetic=include_synthetic)
    frames = episodes, follow_ups_frame(sites), scores
    return _outcome_rows(*frames, instruments, timepoints, filters, subscale, missing, n_synthetic)


def cohort_dashboard(
    *,
    actor: Actor,
    instrument: str,
    timepoints: list[str],
    filters: CohortFilters,
    missing: str,
    include_synthetic: bool = False,
) -> tuple[list[dict[str, Any]], list[Any], dict[str, Any]]:
    """The dashboard's table for `instrument`, the site's patient flow and the instrument's mixed-effects model,
    from one read of the frames all three use (synthetic patients left out unless asked for)."""
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    episodes, n_synthetic = synthetic_scope(episodes_frame(sites), include_synthetic=include_synthetic)
    follow_ups = follow_ups_frame(sites)
    scores = scores_frame(sites, subscales=False, instruments=instruments_read([instrument]))
    rows = _outcome_rows(episodes, follow_ups, scores, [instrument], timepoints, filters, "", missing, n_synthetic)
    chosen = filter_episodes(episodes, filters)
    model = trajectory_model(
        actor=actor, instrument=instrument, timepoints=timepoints, frames=(chosen, follow_ups, scores)
    )
    return rows, _flow(actor, episodes, follow_ups), model


def instruments_read(instruments: list[str]) -> list[str]:
    """The instruments to load for figures of `instruments`: pain figures include OMERACT-OARSI, which needs the
    function score (QuickDASH) of the same visit too."""
    return list(dict.fromkeys([*instruments, *(["quickdash"] if "nrs" in instruments else [])]))


def _outcome_rows(
    episodes: pd.DataFrame,
    follow_ups: pd.DataFrame,
    scores: pd.DataFrame,
    instruments: list[str],
    timepoints: list[str],
    filters: CohortFilters,
    subscale: str,
    missing: str,
    n_synthetic: int = 0,
) -> list[dict[str, Any]]:
    label = synthetic_label(n_synthetic)
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
        | {"filters": filters.as_dict(), "synthetic_patients": n_synthetic, "synthetic_label": label}
        for instrument in instruments
        for timepoint in timepoints
    ]


def past_patients_frame(sites: list[Any], *, timepoint: str, include_synthetic: bool = False) -> pd.DataFrame:
    """One row per past episode assessed for pain at baseline and `timepoint`, with its matching columns
    (real patients only unless `include_synthetic`)."""
    from handregen.safety.models import Reintervention

    episodes, _ = synthetic_scope(episodes_frame(sites), include_synthetic=include_synthetic)
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
        ["indication", "stage", "age_band", "sex", "baseline_nrs_band", "responder", "reintervention", "is_synthetic"]
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
    min_n: int | None = None,
    include_synthetic: bool = False,
) -> Expectation:
    """What happened to similar past patients of the actor's site (shown in the consent discussion); synthetic
    patients never count unless asked for (a demo), and the answer then says so."""
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    expectation_refusals(actor=actor, indication=indication, stage=stage, timepoint=timepoint)
    past = past_patients_frame([actor.site.pk], timepoint=timepoint, include_synthetic=include_synthetic)
    if min_n is None:  # the clinic's threshold (settings.HANDREGEN_EXPECTATION_MIN_SIMILAR), 20 by default
        from django.conf import settings

        min_n = int(getattr(settings, "HANDREGEN_EXPECTATION_MIN_SIMILAR", MIN_SIMILAR))
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


def expectation_refusals(*, actor: Actor, indication: str, stage: str | None, timepoint: str) -> None:
    """Refuse (InvalidInput, a 422 in the API) a stage that does not exist for the indication or a time point
    that the site's protocol does not schedule."""
    from handregen.errors import InvalidInput
    from handregen.pathway.models import Protocol

    errors = []
    refusal = stage_refusal(indication, stage)
    if refusal:
        errors.append(("stage", refusal))
    protocol = Protocol.objects.filter(code=actor.site.default_protocol_code, is_current=True).first()
    known = [p.code for p in protocol.definition.follow_up] if protocol else []
    if timepoint not in known:
        errors.append(("timepoint", f"unknown time point; use one of {', '.join(known) or 'none scheduled'}"))
    if errors:
        raise InvalidInput(errors)


def patient_flow(*, actor: Actor, include_synthetic: bool = False, by: str = "episode") -> list[Any]:
    """The site's flow from referral to each follow-up, by episode or by patient, with every reason for leaving."""
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    episodes, _ = synthetic_scope(episodes_frame(sites), include_synthetic=include_synthetic)
    return _flow(actor, episodes, follow_ups_frame(sites), by=by)


def _flow(actor: Actor, episodes: pd.DataFrame, follow_ups: pd.DataFrame, by: str = "episode") -> list[Any]:
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
    # Only which episodes were withdrawn: the reasons are free text and never reach a de-identified role.
    withdrawals = set(
        AuditEvent.objects.filter(site_id__in=sites, action="episode.withdraw", outcome="done").values_list(
            "episode_id", flat=True
        )
    )
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
        by=by,
    )


KM_CENSORING = (
    "Episodes without a re-intervention are censored at the last known contact: the latest completed follow-up, "
    "adverse-event onset or re-intervention record of the episode, else the injection day; not at today."
)


def reintervention_survival(
    *, actor: Actor, at_days: tuple[int, ...] = (180, 365, 730), include_synthetic: bool = False
) -> Any:
    """Kaplan-Meier estimate of staying free of re-intervention after the first injection, censored at the last
    known contact (`KM_CENSORING`); log(-log) Greenwood intervals (the statistics module names the method)."""
    from handregen.analytics.stats import kaplan_meier
    from handregen.outcomes.models import FollowUp
    from handregen.procedures.models import Injection
    from handregen.safety.models import AdverseEvent, Reintervention

    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    real = {} if include_synthetic else {"episode__patient__is_synthetic": False}
    first = Injection.objects.filter(site_id__in=sites, cycle=1, **real).values_list("episode_id", "performed_at")
    injected = {e: timezone.localtime(at).date() for e, at in first}
    first_event: dict[Any, Any] = {}
    for episode_id, on in (
        Reintervention.objects.filter(site_id__in=sites, **real)
        .order_by("performed_on")
        .values_list("episode_id", "performed_on")
    ):
        first_event.setdefault(episode_id, on)
    contacts: dict[Any, list[Any]] = {}
    for episode_id, at in FollowUp.objects.filter(site_id__in=sites, completed_at__isnull=False, **real).values_list(
        "episode_id", "completed_at"
    ):
        contacts.setdefault(episode_id, []).append(timezone.localtime(at).date())
    onsets = AdverseEvent.objects.filter(site_id__in=sites, **real).values_list("episode_id", "onset_date")
    for episode_id, on in onsets:
        contacts.setdefault(episode_id, []).append(on)
    durations, events = reintervention_times(injected, first_event, contacts)
    return kaplan_meier(durations, events, at=at_days)


def reintervention_times(
    injected: dict[Any, Any], first_event: dict[Any, Any], contacts: dict[Any, list[Any]]
) -> tuple[list[int], list[bool]]:
    """(days, event) per injected episode: days to the first re-intervention, else to the last known contact
    (never before the injection), as `KM_CENSORING` states."""
    durations, events = [], []
    for episode_id, start in injected.items():
        event_on = first_event.get(episode_id)
        end = event_on or max([start, *contacts.get(episode_id, [])])
        durations.append(max(0, (end - start).days))
        events.append(event_on is not None)
    return durations, events


def adverse_event_rates(*, actor: Actor, include_synthetic: bool = False) -> list[dict[str, Any]]:
    """Adverse events per 100 procedures, per event and per procedure, by term, grade, seriousness and
    relatedness, with exact intervals; harvest-site events over harvests (see `safety_rates`)."""
    from handregen.analytics.safety_rates import adverse_event_rows
    from handregen.procedures.models import Harvest, Injection
    from handregen.safety.models import AdverseEvent
    from handregen.safety.terms import TERMS

    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    real = {} if include_synthetic else {"episode__patient__is_synthetic": False}
    columns = ["episode_id", "cycle", "term", "grade", "serious", "relatedness"]
    events = pd.DataFrame.from_records(
        # an event retracted as entered in error is kept on the record and not counted
        AdverseEvent.objects.filter(site_id__in=sites, retracted_at__isnull=True, **real).values_list(*columns),
        columns=columns,
    )
    return adverse_event_rows(
        events,
        n_injections=Injection.objects.filter(site_id__in=sites, **real).count(),
        n_harvests=Harvest.objects.filter(site_id__in=sites, **real).count(),
        term_words=TERMS,
    )


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
            baselines[r.instrument] = float(r.total)
        else:
            by_instrument.setdefault(r.instrument, []).append((fu.timepoint, int(fu.days or 0), float(r.total)))
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
        if svg:
            charts.append({"instrument": code, "svg": svg})
    return charts


def _chart_range(low: float | None, high: float | None, values: list[float]) -> tuple[float, float]:
    """The instrument's own range where it has one (grip in kg has no upper bound: fit the values)."""
    return (low if low is not None else 0.0, high if high is not None else max(values, default=10.0) * 1.25)


# Above this many patients the dashboard and report fit the model on a fixed-seed sample (stated on the page).
MODEL_MAX_PATIENTS = 3000


def trajectory_model(
    *,
    actor: Actor,
    instrument: str,
    timepoints: list[str],
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
    max_patients: int = MODEL_MAX_PATIENTS,
) -> dict[str, Any]:
    """A mixed-effects model of the instrument's total over time with its caveats (see `trajectory_frame`):
    time points as fixed effects, a random intercept and slope for time per patient, episodes nested in
    patients; `frames` (episodes, follow-ups, scores) when the caller has read them already."""
    from handregen.analytics.stats import mixed_model_trajectory

    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    if frames is None:  # real patients only; a caller who includes synthetic ones passes its frames
        sites = [actor.site.pk]
        episodes, _ = synthetic_scope(episodes_frame(sites), include_synthetic=False)
        frames = episodes, follow_ups_frame(sites), scores_frame(sites, subscales=False)
    frame, sampled_from = trajectory_frame(*frames, instrument=instrument, max_patients=max_patients)
    terms = [f"C({c})" for c in ("stage", "source") if frame[c].nunique() > 1]
    result = mixed_model_trajectory(
        frame, terms, timepoint_order=["baseline", *timepoints], time_col="years", episode_col="episode_id"
    ).as_dict()
    if sampled_from:
        result["caveats"] = [
            *result["caveats"],
            f"Fitted on a random sample of {max_patients:,} of {sampled_from:,} patients (fixed seed) to keep the "
            "page fast; the estimates carry that sampling error too.",
        ]
    result["instrument"] = instrument
    for coefficient in result["coefficients"]:
        coefficient["label"] = coefficient_label(coefficient["term"])
    return result


_TERM_WORDS = {"timepoint": "{} (vs baseline)", "stage": "stage {} (vs the lowest stage)", "source": "cell source {}"}
_LEVEL_WORDS = {"bone_marrow": "bone marrow (vs adipose)", "adipose": "adipose", "w2": "2 weeks", "w6": "6 weeks",
                "m3": "3 months", "m6": "6 months", "m12": "12 months", "m24": "24 months"}  # fmt: skip


def coefficient_label(term: str) -> str:
    """A model term in words: "C(timepoint)[T.m6]" -> "6 months (vs baseline)"; unknown terms stay as they are."""
    if term == "Intercept":
        return "Baseline mean (reference groups)"
    for column, words in _TERM_WORDS.items():
        prefix = f"C({column})[T."
        if term.startswith(prefix) and term.endswith("]"):
            level = term[len(prefix) : -1]
            return words.format(_LEVEL_WORDS.get(level, level.replace("KL", "Kellgren-Lawrence ")))
    return term


def trajectory_frame(
    episodes: pd.DataFrame, follow_ups: pd.DataFrame, scores: pd.DataFrame, *, instrument: str, max_patients: int
) -> tuple[pd.DataFrame, int]:
    """One row per total score of `instrument`: patient, episode, time point, years since the first injection
    (the scheduled day of the time point; baseline = 0), stage and cell source. Above `max_patients` patients a
    fixed-seed random sample of patients is kept; the second value is then the number sampled from, else 0."""
    chosen = scores[(scores["instrument"] == instrument) & (scores["subscale"] == "")]
    days = follow_ups.loc[follow_ups["superseded_at"].isna(), ["episode_id", "timepoint", "days"]]
    days = days.drop_duplicates(["episode_id", "timepoint"])
    frame = chosen.merge(episodes[["episode_id", "patient_id", "stage", "source"]], on="episode_id")
    frame = frame.merge(days, on=["episode_id", "timepoint"], how="left").rename(columns={"value": "score"})
    frame["years"] = pd.to_numeric(frame["days"], errors="coerce").fillna(0).clip(lower=0) / 365.25
    frame.loc[frame["timepoint"] == "baseline", "years"] = 0.0
    frame = frame.dropna(subset=["stage", "source"])
    patients = pd.unique(frame["patient_id"])
    if len(patients) <= max_patients:
        return frame, 0
    keep = set(np.random.default_rng(20261205).choice(patients, size=max_patients, replace=False).tolist())
    return frame[frame["patient_id"].isin(keep)], len(patients)


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
            episode_id=episode.pk,
            site_id=episode.site_id,
            instrument="nrs",
            scorable=True,
            follow_up__cycle=episode.cycle,
            follow_up__timepoint="baseline",
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
        "age": age_on(patient.birth_date, episode.site.today()),
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


def synthetic_patients_at_site(*, actor: Actor) -> int:
    """How many of the site's patients are synthetic (made up): left out of the figures unless asked for."""
    from handregen.patients.models import Patient

    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    return Patient.objects.filter(site=actor.site, is_synthetic=True).count()
