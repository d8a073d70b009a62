"""Adverse-event rates (pure: pandas and the statistics module): per event and per procedure, with exact
intervals, by term, grade, seriousness and relatedness. Harvest-site events are counted over harvests, every
other event over injections.

Per event: all events count (one procedure may have several), rate per 100 procedures with an exact Poisson
(Garwood) interval. Per procedure: procedures with at least one such event, a proportion with an exact binomial
(Clopper-Pearson) interval. "Related" = WHO-UMC certain, probable or possible (clinical-facts §6.3).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from handregen.analytics.stats import event_rate_per_100

HARVEST_SITE_TERMS = frozenset({"harvest_site_haematoma"})
RELATED = frozenset({"certain", "probable", "possible"})


def adverse_event_rows(
    events: pd.DataFrame, *, n_injections: int, n_harvests: int, term_words: dict[str, str]
) -> list[dict[str, Any]]:
    """One row per group (all, each term, each grade, serious or not, related or not): events and procedures
    with an event, each per 100 procedures with its exact 95% interval. `events` has episode_id, cycle, term,
    grade, serious, relatedness."""
    rows = []
    at_harvest = events["term"].isin(HARVEST_SITE_TERMS)
    groups: list[tuple[str, str, pd.Series]] = [("all", "every event (procedure-site events over injections)",
                                                 ~at_harvest)]  # fmt: skip
    groups += [("term", term_words.get(t, t), events["term"] == t) for t in sorted(set(events["term"]))]
    groups += [("grade", f"grade {g}", (events["grade"] == g) & ~at_harvest) for g in range(1, 6)]
    groups += [("seriousness", "serious", events["serious"].astype(bool) & ~at_harvest)]
    groups += [("seriousness", "not serious", ~events["serious"].astype(bool) & ~at_harvest)]
    related = events["relatedness"].isin(RELATED)
    groups += [("relatedness", "related (certain, probable, possible)", related & ~at_harvest)]
    groups += [("relatedness", "not related or not assessable", ~related & ~at_harvest)]
    groups += [("harvest site", "every harvest-site event", at_harvest)]
    for kind, label, mask in groups:
        subset = events[mask]
        harvest = kind == "harvest site" or (kind == "term" and bool(subset["term"].isin(HARVEST_SITE_TERMS).all())
                                             and len(subset))  # fmt: skip
        n = n_harvests if harvest else n_injections
        k_events = len(subset)
        k_procedures = int(subset.drop_duplicates(["episode_id", "cycle"]).shape[0])
        per_event = event_rate_per_100(k_events, n, method="poisson")
        per_procedure = event_rate_per_100(min(k_procedures, n), n) if n else per_event
        rows.append(
            {
                "kind": kind,
                "label": label,
                "denominator": "harvests" if harvest else "injections",
                "procedures": n,
                "events": k_events,
                "events_per_100": per_event.rate_per_100,
                "events_ci95": _ci(per_event),
                "events_ci_method": "exact Poisson (Garwood)",
                "with_event": k_procedures,
                "with_event_per_100": per_procedure.rate_per_100,
                "with_event_ci95": _ci(per_procedure),
                "with_event_ci_method": "exact binomial (Clopper-Pearson)",
            }
        )
    return rows


def _ci(rate: Any) -> list[float] | None:
    return [rate.ci_low, rate.ci_high] if rate.ci_low is not None and rate.ci_high is not None else None
