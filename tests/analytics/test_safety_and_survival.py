"""Adverse-event rates per event and per procedure, and time to re-intervention censored at the last contact."""

from datetime import date

import pandas as pd
import pytest
from scipy import stats

from handregen.analytics.safety_rates import adverse_event_rows
from handregen.analytics.selectors import reintervention_times


def _events(rows):
    return pd.DataFrame(rows, columns=["episode_id", "cycle", "term", "grade", "serious", "relatedness"])


def test_events_and_procedures_are_counted_apart_with_exact_intervals_and_harvest_events_over_harvests():
    events = _events([
        ("e1", 1, "injection_site_pain_flare", 1, False, "probable"),
        ("e1", 1, "injection_site_swelling", 2, False, "possible"),
        ("e2", 1, "infection", 3, True, "unlikely"),
        ("e3", 1, "harvest_site_haematoma", 1, False, "certain"),
    ])  # fmt: skip
    rows = adverse_event_rows(events, n_injections=10, n_harvests=8, term_words={"infection": "Infection"})
    every = next(r for r in rows if r["kind"] == "all")
    assert (every["events"], every["with_event"], every["procedures"]) == (3, 2, 10)
    low = stats.chi2.ppf(0.025, 6) / 2 / 10 * 100  # exact Poisson (Garwood) for 3 events over 10 injections
    high = stats.chi2.ppf(0.975, 8) / 2 / 10 * 100
    assert every["events_per_100"] == pytest.approx(30.0) and every["events_ci95"] == pytest.approx([low, high])
    beta = [stats.beta.ppf(0.025, 2, 9) * 100, stats.beta.ppf(0.975, 3, 8) * 100]  # Clopper-Pearson 2/10
    assert every["with_event_per_100"] == pytest.approx(20.0) and every["with_event_ci95"] == pytest.approx(beta)
    harvest = next(r for r in rows if r["kind"] == "harvest site")
    assert (harvest["events"], harvest["procedures"], harvest["denominator"]) == (1, 8, "harvests")
    haematoma = next(r for r in rows if r["kind"] == "term" and r["label"] == "harvest_site_haematoma")
    assert haematoma["procedures"] == 8
    assert next(r for r in rows if r["label"] == "Infection")["events"] == 1
    related = next(r for r in rows if r["label"].startswith("related"))
    assert related["events"] == 2  # probable and possible; the harvest-site event is counted over harvests
    assert next(r for r in rows if r["label"] == "serious")["events"] == 1
    assert next(r for r in rows if r["label"] == "grade 2")["events"] == 1


def test_episodes_without_a_reintervention_are_censored_at_the_last_contact_not_today():
    injected = {"a": date(2025, 1, 1), "b": date(2025, 1, 1), "c": date(2025, 1, 1)}
    first_event = {"a": date(2025, 7, 1)}
    contacts = {"a": [date(2025, 9, 1)], "b": [date(2025, 2, 1), date(2025, 4, 1)]}
    durations, events = reintervention_times(injected, first_event, contacts)
    assert durations == [181, 90, 0] and events == [True, False, False]
