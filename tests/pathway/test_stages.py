"""The pathway state machine, tried from every stage (pure rules, no database)."""

import pytest

from handregen.pathway.stages import CLOSED_STAGES, OPEN_STAGES, TRANSITIONS, Stage, actions_from, transition_refusals

HAPPY_PATH = [
    ("consultation", "referred", "consulted"),
    ("candidacy", "consulted", "eligible"),
    ("consent", "eligible", "consented"),
    ("preparation", "consented", "prepared"),
    ("harvest", "prepared", "harvested"),
    ("release", "harvested", "released"),
    ("injection", "released", "injected"),
    ("post_care", "injected", "follow_up"),
    ("complete", "follow_up", "completed"),
]


@pytest.mark.parametrize(("action", "source", "target"), HAPPY_PATH)
def test_each_step_of_the_pathway_is_allowed_from_its_stage(action: str, source: str, target: str) -> None:
    assert transition_refusals(source, action, target) == []


OUT_OF_ORDER = [
    (stage.value, action, target)
    for action, _, target in HAPPY_PATH
    for stage in Stage
    if stage not in TRANSITIONS[action].sources
]


@pytest.mark.parametrize(("stage", "action", "target"), OUT_OF_ORDER)
def test_a_step_from_any_other_stage_is_refused_with_a_reason(stage: str, action: str, target: str) -> None:
    reasons = transition_refusals(stage, action, target)
    assert len(reasons) == 1
    assert stage in reasons[0]


@pytest.mark.parametrize("stage", sorted(s.value for s in OPEN_STAGES))
def test_withdrawal_is_reachable_from_every_open_stage(stage: str) -> None:
    assert transition_refusals(stage, "withdraw", "withdrawn") == []
    assert "withdraw" in actions_from(stage)


@pytest.mark.parametrize("stage", sorted(s.value for s in CLOSED_STAGES))
def test_closed_episodes_allow_no_step(stage: str) -> None:
    assert actions_from(stage) == []
    assert "closed" in transition_refusals(stage, "withdraw")[0]


def test_candidacy_can_only_lead_to_a_decision_stage() -> None:
    assert transition_refusals("consulted", "candidacy", "consented") == [
        "'Decide candidacy' cannot lead to consented."
    ]
    for decision in ("eligible", "ineligible", "deferred"):
        assert transition_refusals("consulted", "candidacy", decision) == []


def test_deferred_episodes_can_be_evaluated_again() -> None:
    assert transition_refusals("deferred", "candidacy", "eligible") == []
    assert transition_refusals("deferred", "consultation") == []


def test_a_further_cycle_returns_to_preparation_from_follow_up_only() -> None:
    assert transition_refusals("follow_up", "repeat_cycle") == []
    assert transition_refusals("injected", "repeat_cycle") != []


def test_an_unknown_action_is_refused_in_plain_words() -> None:
    assert transition_refusals("referred", "teleport") == ["'teleport' is not a step of the pathway."]
