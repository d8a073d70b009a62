"""The flow diagram: every exit named in words, by episode and by patient, and counts that add up."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from handregen.analytics.flow import flow_steps, flow_svg

TODAY = date(2026, 11, 28)
TIMEPOINTS = ["m3", "m6"]
STAGES = ["referred", "consulted", "eligible", "consented", "ineligible", "deferred", "withdrawn", "follow_up"]

episode = st.fixed_dictionaries(
    {
        "patient": st.integers(0, 6),
        "stage": st.sampled_from(STAGES),
        "decision": st.sampled_from([None, "eligible", "ineligible", "deferred"]),
        "injected": st.booleans(),
        "visits": st.lists(st.tuples(st.sampled_from(TIMEPOINTS), st.integers(-200, 200), st.booleans()), max_size=2),
    }
)


def _frames(rows):
    episodes = pd.DataFrame(
        {
            "episode_id": [f"e{i}" for i in range(len(rows))],
            "patient_id": [f"p{r['patient']}" for r in rows],
            "stage_now": [r["stage"] for r in rows],
            "created_at": [TODAY - timedelta(days=i) for i in range(len(rows))],
        }
    )
    decisions = pd.DataFrame(
        [(f"e{i}", r["decision"]) for i, r in enumerate(rows) if r["decision"]], columns=["episode_id", "decision"]
    )
    injected = {f"e{i}" for i, r in enumerate(rows) if r["injected"]}
    follow_ups, assessed = [], set()
    for i, r in enumerate(rows):
        for code, offset, seen in r["visits"]:
            opens = TODAY + timedelta(days=offset)
            follow_ups.append((f"e{i}", code, 91 if code == "m3" else 182, opens, opens + timedelta(days=30),
                               opens if seen else None))  # fmt: skip
            if seen:
                assessed.add((f"e{i}", code))
    columns = ["episode_id", "timepoint", "days", "due_from", "due_until", "completed_at"]
    return episodes, decisions, injected, pd.DataFrame(follow_ups, columns=columns), assessed


@settings(max_examples=150)
@given(st.lists(episode, min_size=0, max_size=14), st.sampled_from(["episode", "patient"]))
def test_flow_counts_add_up_by_episode_and_by_patient(rows, by):
    episodes, decisions, injected, follow_ups, assessed = _frames(rows)
    steps = flow_steps(
        episodes=episodes, decisions=decisions, injected=injected, follow_ups=follow_ups, assessed=assessed,
        withdrawals=set(), timepoints=TIMEPOINTS, today=TODAY, by=by,
    )  # fmt: skip
    units = episodes["patient_id"].nunique() if by == "patient" else len(episodes)
    assert steps[0].n == units
    for previous, step in pairwise(steps[:4]):
        assert step.n == previous.n - sum(previous.left.values())
        assert step.base == previous.n
    injected_n = steps[3].n
    for step in steps[4:]:
        assert step.n + sum(step.left.values()) == step.base == injected_n
    for step in steps:
        for reason in step.left:
            assert "_" not in reason and reason == reason.lower()  # words, not codes


def test_every_exit_reason_is_drawn_and_no_free_text_appears():
    rows = [
        {"patient": 0, "stage": "referred", "decision": None, "injected": False, "visits": []},
        {"patient": 1, "stage": "consulted", "decision": None, "injected": False, "visits": []},
        {"patient": 2, "stage": "ineligible", "decision": "ineligible", "injected": False, "visits": []},
        {"patient": 3, "stage": "deferred", "decision": "deferred", "injected": False, "visits": []},
        {"patient": 4, "stage": "withdrawn", "decision": "eligible", "injected": False, "visits": []},
        {"patient": 5, "stage": "consented", "decision": "eligible", "injected": False, "visits": []},
        {"patient": 6, "stage": "follow_up", "decision": "eligible", "injected": True, "visits": [("m3", -100, False)]},
    ]
    episodes, decisions, injected, follow_ups, assessed = _frames(rows)
    steps = flow_steps(
        episodes=episodes, decisions=decisions, injected=injected, follow_ups=follow_ups, assessed=assessed,
        withdrawals={"e4": "The patient moved away."}, timepoints=TIMEPOINTS, today=TODAY,
    )  # fmt: skip
    reasons = {reason for step in steps for reason in step.left}
    assert reasons == {
        "waiting for the consultation", "waiting for the candidacy decision", "not eligible",
        "deferred, to re-evaluate", "withdrew before the injection", "waiting: preparation", "dropped out",
        "no follow-up scheduled",
    }  # fmt: skip
    svg = flow_svg(steps)
    assert all(reason in svg for reason in reasons) and "moved away" not in svg
