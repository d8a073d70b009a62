"""The synthetic cohort: reproducible, varied, and its answers score where they were aimed."""

from datetime import date

import numpy as np
import pytest

from handregen.analytics.synthetic.answers import answers_for
from handregen.analytics.synthetic.cohort import simulate
from handregen.outcomes.scoring import score

FOLLOW_UP = [("w2", 14), ("w6", 42), ("m3", 91), ("m6", 182), ("m12", 365)]
TODAY = date(2026, 11, 28)


def test_the_same_seed_gives_the_same_cohort_and_another_seed_a_different_one():
    first = simulate(200, 7, today=TODAY, follow_up=FOLLOW_UP)
    again = simulate(200, 7, today=TODAY, follow_up=FOLLOW_UP)
    other = simulate(200, 8, today=TODAY, follow_up=FOLLOW_UP)
    assert [(p.birth_date, p.baseline.pain, len(p.visits)) for p in first] == [
        (p.birth_date, p.baseline.pain, len(p.visits)) for p in again
    ]
    assert [p.baseline.pain for p in first] != [p.baseline.pain for p in other]


def test_the_cohort_has_every_kind_of_course():
    cohort = simulate(2000, 3, today=TODAY, follow_up=FOLLOW_UP)
    stops = {p.stop for p in cohort}
    assert {None, "ineligible", "withdrawn_before_injection", "deferred"} <= stops
    injected = [p for p in cohort if p.stop is None]
    assert any(p.dropped_out_after for p in injected)
    assert any(p.reintervention_day for p in injected)
    assert any(p.adverse_events for p in injected)
    changes = [p.visits[-1].pain - p.baseline.pain for p in injected if p.visits and p.visits[-1].day >= 182]
    assert min(changes) < -3 and max(changes) > 0  # some improve a lot, some not at all


def test_nobody_has_a_visit_in_the_future():
    for p in simulate(500, 4, today=TODAY, follow_up=FOLLOW_UP):
        for visit in p.visits:
            assert (p.injected_on.toordinal() + visit.day) <= TODAY.toordinal()


@pytest.mark.parametrize(
    ("instrument", "options", "disability", "expected"),
    [
        ("quickdash", {}, 20.0, 20.0),
        ("quickdash", {}, 70.0, 70.0),
        ("prwe", {}, 50.0, 50.0),
        ("fihoa", {}, 50.0, 15.0),
        ("mhq", {"hand": "right"}, 30.0, 62.0),
    ],
)
def test_generated_answers_score_near_their_target(instrument, options, disability, expected):
    rng = np.random.default_rng(0)
    totals = []
    for _ in range(200):
        answers = answers_for(
            instrument, rng, pain=5.0, disability=disability, improvement=0.0, grip_kg=20.0, affected="right"
        )
        result = score(instrument, answers, **options)
        assert result.scorable, result.reasons
        totals.append(result.total)
    assert abs(float(np.mean(totals)) - expected) < 8
