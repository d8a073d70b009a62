"""Responder rules: worked examples of clinical-facts §7.5 and §7.6, MCID table of §2."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handregen.outcomes.responders import (
    MCIDS,
    OmeractOarsiThresholds,
    mcid_responder,
    nrs_change,
    omeract_oarsi_responder,
    percent_change,
)
from handregen.outcomes.scoring import score

# --- NRS (§7.5) ---------------------------------------------------------------------------------------------


def test_nrs_7_to_4_is_a_3_point_43_percent_decrease_and_a_responder_by_both_rules():
    change = nrs_change(7, 4)
    assert change.change == -3
    assert change.percent_change == pytest.approx(-42.857, abs=0.005)
    assert change.decreased_2_points is True
    assert change.decreased_30_percent is True


def test_nrs_0_to_0_has_undefined_percent_and_undefined_30_percent_flag():
    change = nrs_change(0, 0)
    assert change.change == 0
    assert change.percent_change is None
    assert change.decreased_2_points is False
    assert change.decreased_30_percent is None  # undefined, not "no"


def test_nrs_exactly_30_percent_decrease_counts():
    assert nrs_change(10, 7).decreased_30_percent is True


def test_nrs_just_under_30_percent_does_not_count():
    assert nrs_change(7, 5).decreased_30_percent is False  # 28.6%


def test_nrs_two_point_decrease_can_be_under_30_percent():
    change = nrs_change(8, 6)  # 25%
    assert change.decreased_2_points is True
    assert change.decreased_30_percent is False


def test_nrs_increase_is_not_a_responder():
    change = nrs_change(3, 6)
    assert change.percent_change == pytest.approx(100.0)
    assert change.decreased_2_points is False and change.decreased_30_percent is False


@pytest.mark.parametrize(("baseline", "follow_up"), [(11, 3), (3, -1), (True, 3), (float("nan"), 3), ("7", 4)])
def test_nrs_change_rejects_values_off_the_scale(baseline, follow_up):
    with pytest.raises(ValueError):
        nrs_change(baseline, follow_up)


def test_percent_change_is_undefined_at_baseline_zero():
    assert percent_change(0, 5) is None
    assert percent_change(50, 25) == pytest.approx(-50.0)


# --- MCID table and the generic responder -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value", "low", "high"),
    [("quickdash", 14, 9, 20), ("prwe", 14, 10, 24), ("mhq", 10, 8, 13), ("nrs", 2, 2, 2.8)],
)
def test_mcid_table_values_sit_inside_their_published_ranges(code, value, low, high):
    mcid = MCIDS[code]
    assert (mcid.value, mcid.low, mcid.high) == (value, low, high)
    assert mcid.low <= mcid.value <= mcid.high
    assert mcid.source


def test_mcid_directions_higher_is_worse_except_mhq():
    assert {code: mcid.higher_is_worse for code, mcid in MCIDS.items()} == {
        "nrs": True,
        "quickdash": True,
        "prwe": True,
        "mhq": False,
    }


def test_mcid_responder_on_a_higher_is_worse_scale_needs_a_decrease_of_the_threshold():
    assert mcid_responder(50, 36, threshold=14, higher_is_worse=True).responder is True
    assert mcid_responder(50, 37, threshold=14, higher_is_worse=True).responder is False
    assert mcid_responder(36, 50, threshold=14, higher_is_worse=True).responder is False


def test_mcid_responder_on_a_higher_is_better_scale_needs_an_increase_of_the_threshold():
    assert mcid_responder(60, 70, threshold=10, higher_is_worse=False).responder is True
    assert mcid_responder(70, 60, threshold=10, higher_is_worse=False).responder is False


def test_mcid_responder_counts_a_change_equal_to_the_threshold_despite_float_noise():
    # QuickDASH item sums 24 -> 18 is a change of exactly 6/11 x 25 points on paper.
    baseline = score("quickdash", {f"q{n}": v for n, v in enumerate([1, 2, 3, 4, 1, 1, 2, 3, 5, 1, 1], 1)}).total
    follow_up = score("quickdash", {f"q{n}": v for n, v in enumerate([1, 1, 1, 1, 1, 1, 2, 3, 5, 1, 1], 1)}).total
    threshold = 6 / 11 * 25
    assert baseline - follow_up < threshold  # the floating-point shortfall this test is about
    assert mcid_responder(baseline, follow_up, threshold=threshold, higher_is_worse=True).responder is True


def test_mcid_responder_without_a_follow_up_cannot_decide():
    decision = mcid_responder(50, None, threshold=14, higher_is_worse=True)
    assert decision.responder is None
    assert decision.reasons == ["no follow-up score, so no decision"]


def test_mcid_responder_reports_undefined_percent_at_baseline_zero():
    decision = mcid_responder(0, 20, threshold=10, higher_is_worse=False)
    assert decision.responder is True
    assert "undefined at baseline 0" in decision.reasons[0]


def test_mcid_responder_rejects_a_non_positive_threshold():
    with pytest.raises(ValueError):
        mcid_responder(50, 30, threshold=0, higher_is_worse=True)


# --- OMERACT-OARSI (§2.1, §7.6) -----------------------------------------------------------------------------


def test_omeract_worked_example_high_pain_improvement_is_a_responder():
    decision = omeract_oarsi_responder(pain=(60, 25), function=(50, 45), patient_global=(70, 65))
    assert decision.responder is True
    assert any(reason.startswith("pain: improved 35 points (58.3%); meets the high") for reason in decision.reasons)


def test_omeract_high_criterion_needs_both_50_percent_and_20_points():
    # 30 -> 14 is 53% but only 16 points; function and global do not move.
    decision = omeract_oarsi_responder(pain=(30, 14), function=(50, 50), patient_global=(50, 50))
    assert decision.responder is False


def test_omeract_high_criterion_applies_to_function_too():
    assert omeract_oarsi_responder(pain=(50, 50), function=(80, 40)).responder is True


def test_omeract_moderate_criterion_needs_two_of_three_domains():
    two = omeract_oarsi_responder(pain=(50, 38), function=(60, 50), patient_global=(50, 50))  # 24%/12, 17%/10
    assert two.responder is False
    two = omeract_oarsi_responder(pain=(50, 38), function=(60, 48), patient_global=(50, 50))  # 24%/12, 20%/12
    assert two.responder is True


def test_omeract_global_counts_toward_the_moderate_criterion_only():
    decision = omeract_oarsi_responder(pain=(50, 38), function=(60, 60), patient_global=(80, 20))
    assert decision.responder is True  # pain and global moderate; global alone would not be "high"
    assert omeract_oarsi_responder(pain=(50, 50), function=(60, 60), patient_global=(80, 20)).responder is False


def test_omeract_moderate_criterion_needs_both_percent_and_points():
    # pain 20 -> 12 is 40% but 8 points; function 90 -> 80 is 10 points but 11%.
    decision = omeract_oarsi_responder(pain=(20, 12), function=(90, 80), patient_global=(50, 40))
    assert decision.responder is False


def test_omeract_undecided_when_a_missing_domain_could_tip_the_balance():
    decision = omeract_oarsi_responder(pain=(50, 38), function=(60, 60))  # pain moderate, global unknown
    assert decision.responder is None


def test_omeract_decided_despite_a_missing_domain_when_it_cannot_matter():
    assert omeract_oarsi_responder(pain=(60, 25), function=(50, None)).responder is True
    assert omeract_oarsi_responder(pain=(50, 50), function=(50, 50)).responder is False


def test_omeract_baseline_zero_has_undefined_percent_and_does_not_meet_a_criterion():
    decision = omeract_oarsi_responder(pain=(0, 0), function=(0, 0), patient_global=(0, 0))
    assert decision.responder is False
    assert any("percent change undefined" in reason for reason in decision.reasons)


def test_omeract_thresholds_are_parameters():
    lenient = OmeractOarsiThresholds(high_percent=40, high_points=15)
    assert omeract_oarsi_responder(pain=(30, 14), function=(50, 50), patient_global=(50, 50)).responder is False
    decision = omeract_oarsi_responder(pain=(30, 14), function=(50, 50), patient_global=(50, 50), thresholds=lenient)
    assert decision.responder is True


def test_omeract_rejects_values_off_the_0_100_scale():
    with pytest.raises(ValueError, match="pain baseline must be between 0 and 100"):
        omeract_oarsi_responder(pain=(120, 25), function=(50, 45))


def test_omeract_thresholds_must_be_positive():
    with pytest.raises(ValueError):
        OmeractOarsiThresholds(moderate_points=0)


scale = st.integers(0, 100)


@given(pain=st.tuples(scale, scale), function=st.tuples(scale, scale), patient_global=st.tuples(scale, scale))
def test_omeract_with_every_domain_present_always_decides(pain, function, patient_global):
    decision = omeract_oarsi_responder(pain=pain, function=function, patient_global=patient_global)
    assert decision.responder in (True, False)


@given(pain=st.tuples(scale, scale), function=st.tuples(scale, scale), patient_global=st.tuples(scale, scale))
def test_omeract_worsening_every_domain_is_never_a_responder(pain, function, patient_global):
    worse = [(min(b, f), max(b, f)) for b, f in (pain, function, patient_global)]
    decision = omeract_oarsi_responder(pain=worse[0], function=worse[1], patient_global=worse[2])
    assert decision.responder is False


def test_omeract_unmeasured_patient_global_counts_as_not_improved_by_default():
    # Pain moderate (24%, 12 points), function unchanged: with no global, "two of three" cannot be met.
    decision = omeract_oarsi_responder(pain=(50, 38), function=(60, 60), patient_global_measured=False)
    assert decision.responder is False
    assert "patient global: not measured; counted as not improved" in decision.reasons
    both = omeract_oarsi_responder(pain=(50, 38), function=(60, 48), patient_global_measured=False)
    assert both.responder is True  # pain and function both moderate


def test_omeract_unmeasured_patient_global_policy_is_a_parameter():
    unknown = OmeractOarsiThresholds(patient_global_not_measured="unknown")
    decision = omeract_oarsi_responder(
        pain=(50, 38), function=(60, 60), patient_global_measured=False, thresholds=unknown
    )
    assert decision.responder is None
    assert "Pham" in unknown.source and unknown.as_dict()["patient_global_not_measured"] == "unknown"
    with pytest.raises(ValueError):
        OmeractOarsiThresholds(patient_global_not_measured="improved")
