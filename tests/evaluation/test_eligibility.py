"""Candidacy rules (pure): what the answers mean under the shipped protocol and under small made-up ones."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from handregen.evaluation.eligibility import RecordFacts, assess_candidacy, derive
from handregen.pathway.protocol import Criterion, parse_protocol, shipped_protocol_documents

TODAY = date(2026, 6, 1)
PROTOCOL = parse_protocol(shipped_protocol_documents()[0])
PLAIN = {c.code: c.kind == "inclusion" for c in PROTOCOL.criteria}
DERIVED = {"anticoagulants", "antiplatelets", "recent_corticosteroid_injection", "adult"}  # adult: from the age
FACTS = RecordFacts(today=TODAY, age_years=60, staged_imaging=True)


def assess(answers=None, decision="eligible", rationale="", facts=FACTS, protocol=PROTOCOL):
    return assess_candidacy(
        protocol=protocol,
        answers=PLAIN if answers is None else answers,
        decision=decision,
        rationale=rationale,
        facts=facts,
    )


def test_a_plain_candidate_can_be_eligible_with_nothing_to_refuse():
    result = assess()
    assert result.complete and result.can_be_eligible
    assert result.refusals == [] and result.soft_flags_needing_decision == []


def test_every_non_derived_criterion_left_out_is_listed_as_missing_in_protocol_order():
    result = assess(answers={})
    expected = [c.code for c in PROTOCOL.criteria if c.code not in DERIVED]
    assert result.missing == expected
    assert not result.complete and result.refusals == []


def test_derived_criteria_may_be_left_out_and_are_read_from_the_record():
    answers = {k: v for k, v in PLAIN.items() if k not in DERIVED}
    facts = RecordFacts(
        today=TODAY,
        age_years=60,
        staged_imaging=True,
        medications=(("apixaban", "anticoagulant"),),
        treatments_into_target=(("corticosteroid_injection", TODAY - timedelta(days=30)),),
    )
    result = assess(answers=answers, facts=facts, rationale="Prescriber agreed a hold; steroid effect discussed.")
    assert result.complete and result.missing == []
    assert result.answers["anticoagulants"] is True
    assert result.answers["antiplatelets"] is False
    assert result.answers["recent_corticosteroid_injection"] is True
    assert result.soft_flags_present == ["anticoagulants", "recent_corticosteroid_injection"]
    assert result.refusals == []


def test_unknown_criterion_codes_are_reported():
    result = assess(answers=PLAIN | {"likes_cats": True})
    assert result.unknown == ["likes_cats"] and not result.complete


@pytest.mark.parametrize("code", PROTOCOL.hard_exclusions)
def test_each_hard_exclusion_makes_eligible_impossible_and_is_named(code):
    result = assess(answers=PLAIN | {code: True}, rationale="Going ahead anyway")
    assert result.hard_exclusions_present == [code]
    assert len(result.refusals) == 1 and f"({code})" in result.refusals[0]
    assert "hard exclusion" in result.refusals[0]
    assert not result.can_be_eligible


@pytest.mark.parametrize("code", PROTOCOL.inclusions)
def test_each_unmet_inclusion_makes_eligible_impossible_and_is_named(code):
    answers = PLAIN | {code: False}
    facts = FACTS if code != "adult" else RecordFacts(today=TODAY, age_years=None, staged_imaging=True)
    result = assess(answers=answers, facts=facts)
    assert result.inclusions_unmet == [code]
    assert any(f"({code})" in r and "not met" in r for r in result.refusals)


@pytest.mark.parametrize("code", [c for c in PROTOCOL.soft_flags if c not in DERIVED])
def test_each_soft_flag_needs_a_rationale_for_eligible(code):
    without = assess(answers=PLAIN | {code: True}, rationale="  ")
    assert without.soft_flags_needing_decision == [code]
    assert len(without.refusals) == 1 and f"({code})" in without.refusals[0]
    with_reason = assess(answers=PLAIN | {code: True}, rationale="Discussed; benefit outweighs the risk.")
    assert with_reason.refusals == [] and with_reason.soft_flags_needing_decision == [code]


@pytest.mark.parametrize("decision", ["ineligible", "deferred"])
def test_ineligible_and_deferred_are_never_refused_for_exclusions_or_flags(decision):
    answers = PLAIN | {"pregnancy": True, "adult": True, "heavy_smoking": True, "failed_conservative_care": False}
    result = assess(answers=answers, decision=decision, rationale="Pregnant")
    assert result.refusals == []
    assert result.hard_exclusions_present == ["pregnancy"]
    assert result.inclusions_unmet == ["failed_conservative_care"]


def test_a_steroid_injection_30_days_ago_contradicts_an_answer_of_no():
    facts = RecordFacts(
        today=TODAY,
        age_years=60,
        staged_imaging=True,
        treatments_into_target=(("corticosteroid_injection", TODAY - timedelta(days=30)),),
    )
    result = assess(answers=PLAIN | {"recent_corticosteroid_injection": False}, facts=facts)
    assert len(result.refusals) == 1
    reason = result.refusals[0]
    assert reason.startswith("Contradiction") and "recent_corticosteroid_injection" in reason
    assert "30 days ago" in reason and "365-day window" in reason


@pytest.mark.parametrize(
    ("days_ago", "inside"), [(0, True), (1, True), (364, True), (365, True), (366, False), (1000, False)]
)
def test_the_steroid_window_counts_days_inclusively(days_ago, inside):
    criterion = PROTOCOL.criterion("recent_corticosteroid_injection")
    facts = RecordFacts(
        today=TODAY, treatments_into_target=(("corticosteroid_injection", TODAY - timedelta(days=days_ago)),)
    )
    derived = derive(criterion, facts)
    assert derived is not None and derived.value is inside
    if not inside:
        assert "outside the protocol's 365-day window" in derived.basis


def test_the_latest_of_several_injections_decides_and_other_treatments_do_not_count():
    criterion = PROTOCOL.criterion("recent_corticosteroid_injection")
    facts = RecordFacts(
        today=TODAY,
        treatments_into_target=(
            ("corticosteroid_injection", TODAY - timedelta(days=800)),
            ("corticosteroid_injection", TODAY - timedelta(days=100)),
            ("hyaluronic_injection", TODAY - timedelta(days=5)),
        ),
    )
    derived = derive(criterion, facts)
    assert derived.value is True and (TODAY - timedelta(days=100)).isoformat() in derived.basis


def test_answering_yes_without_any_recorded_injection_is_a_contradiction_too():
    result = assess(answers=PLAIN | {"recent_corticosteroid_injection": True}, rationale="x")
    assert len(result.refusals) == 1 and "records no corticosteroid injection" in result.refusals[0]


@pytest.mark.parametrize(
    ("code", "drug_class"),
    [("anticoagulants", "anticoagulant"), ("antiplatelets", "antiplatelet")],
)
@pytest.mark.parametrize(("recorded", "answer"), list(itertools.product([True, False], repeat=2)))
def test_medication_flags_must_match_the_recorded_medicines(code, drug_class, recorded, answer):
    meds = (("warfarin" if drug_class == "anticoagulant" else "clopidogrel", drug_class),) if recorded else ()
    facts = RecordFacts(today=TODAY, age_years=60, staged_imaging=True, medications=meds)
    result = assess(answers=PLAIN | {code: answer}, facts=facts, rationale="Prescriber consulted")
    contradictions = [r for r in result.refusals if r.startswith("Contradiction")]
    if recorded == answer:
        assert contradictions == []
    else:
        assert len(contradictions) == 1 and f"({code})" in contradictions[0]


def test_other_drug_classes_do_not_raise_the_bleeding_flags():
    facts = RecordFacts(
        today=TODAY, age_years=60, staged_imaging=True, medications=(("ibuprofen", "nsaid"), ("x", "other"))
    )
    result = assess(facts=facts)
    assert result.refusals == [] and result.answers["anticoagulants"] is False


def test_a_criterion_without_known_derivation_must_be_answered():
    odd = Criterion(code="odd_flag", kind="soft_flag", label="Odd", derived_from="astrology")
    assert derive(odd, FACTS) is None
    document = shipped_protocol_documents()[0]
    document = document | {
        "eligibility": {"criteria": [*document["eligibility"]["criteria"], {**odd.__dict__}]},
    }
    protocol = parse_protocol(document)
    result = assess(protocol=protocol)
    assert result.missing == ["odd_flag"]


def test_a_windowed_criterion_without_a_window_is_not_derived():
    criterion = Criterion(
        code="recent_corticosteroid_injection", kind="soft_flag", label="x", derived_from="prior_treatments"
    )
    assert derive(criterion, FACTS) is None


@pytest.mark.parametrize(("age", "answer", "refused"), [(17, True, True), (18, True, False), (60, False, True)])
def test_the_adult_answer_must_match_the_recorded_birth_date(age, answer, refused):
    facts = RecordFacts(today=TODAY, age_years=age, staged_imaging=True)
    result = assess(answers=PLAIN | {"adult": answer}, facts=facts, decision="deferred", rationale="x")
    assert any("birth date makes them" in r for r in result.refusals) is refused


def test_eligible_on_radiographic_oa_needs_a_staged_imaging_study():
    facts = RecordFacts(today=TODAY, age_years=60, staged_imaging=False)
    result = assess(facts=facts)
    assert any("no imaging study" in r for r in result.refusals)
    assert assess(facts=facts, decision="deferred", rationale="Awaiting X-ray").refusals == []


def test_every_combination_of_hard_exclusions_is_refused_exactly_once_each():
    for present in itertools.chain.from_iterable(
        itertools.combinations(PROTOCOL.hard_exclusions, n) for n in range(len(PROTOCOL.hard_exclusions) + 1)
    ):
        result = assess(answers=PLAIN | dict.fromkeys(present, True), rationale="r")
        assert result.hard_exclusions_present == list(present)
        assert len(result.refusals) == len(present)
        assert result.can_be_eligible is (not present)


def test_aged_18_or_over_is_derived_from_the_date_of_birth_and_a_contradiction_is_refused():
    answers = {k: v for k, v in PLAIN.items() if k != "adult"}
    young = RecordFacts(today=TODAY, age_years=17, staged_imaging=True)
    assert assess(answers=answers).derived["adult"].value is True
    result = assess(answers=answers, facts=young)
    assert result.derived["adult"].value is False and "adult" in result.inclusions_unmet
    contradicted = assess(answers=answers | {"adult": True}, facts=young)
    assert any("Contradiction" in r and "17 years old" in r for r in contradicted.refusals)
    assert "adult" in assess(answers=answers, facts=RecordFacts(today=TODAY)).missing  # no age known: asked
