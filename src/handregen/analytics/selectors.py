"""Cohort figures for an actor: the site's data, de-identified aggregates only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.analytics.cohort import outcome_figures
from handregen.analytics.dataset import CohortFilters, episodes_frame, filter_episodes, follow_ups_frame, scores_frame
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
    actor.require(Permission.COHORT_VIEW_DEIDENTIFIED)
    sites = [actor.site.pk]
    episodes = filter_episodes(episodes_frame(sites), filters)
    figures = outcome_figures(
        scores=scores_frame(sites),
        episodes=episodes,
        follow_ups=follow_ups_frame(sites),
        instrument=instrument,
        timepoint=timepoint,
        today=timezone.localdate(),
        subscale=subscale,
        missing=missing,
    )
    return asdict(figures) | {"filters": filters.as_dict()}


def past_patients_frame(sites: list[Any], *, timepoint: str) -> pd.DataFrame:
    """One row per past episode assessed for pain at baseline and `timepoint`, with its matching columns."""
    from handregen.safety.models import Reintervention

    episodes = episodes_frame(sites)
    scores = scores_frame(sites)
    nrs = scores[(scores["instrument"] == "nrs") & (scores["subscale"] == "")]
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
