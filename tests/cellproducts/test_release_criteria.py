"""Release criteria (pure): each criterion of the protocol met or not, with a reason a technician reads."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handregen.cellproducts.regulatory import (
    INVESTIGATIONAL,
    SAME_PROCEDURE_AUTOLOGOUS,
    approval_refusals,
    default_regulatory_class,
    product_description,
)
from handregen.cellproducts.release import (
    evaluate_criterion,
    evaluate_release,
    hours_between,
    release_refusals,
)
from handregen.pathway.protocol import ReleaseCriterion, parse_protocol, shipped_protocol_documents

SHIPPED = parse_protocol(shipped_protocol_documents()[0]).release_criteria
GOOD = {
    "viability_percent": 85.0,
    "total_nucleated_cells": 25_000_000,
    "output_volume_ml": 3.0,
    "hours_since_harvest": 1.5,
    "sterility_sample_taken": True,
}
VIABILITY = ReleaseCriterion(code="viability", measure="viability_percent", label="Viability at least 70 %", min=70)
VOLUME = ReleaseCriterion(
    code="volume", measure="output_volume_ml", label="Volume 0.5 to 5 mL", unit="mL", min=0.5, max=5.0
)
STERILITY = ReleaseCriterion(
    code="sterility", measure="sterility_sample_taken", label="Sterility sample taken", equals=True
)


def test_the_shipped_protocol_releases_a_product_that_meets_every_criterion():
    results = evaluate_release(SHIPPED, GOOD)
    assert [r.code for r in results] == ["viability", "cell_count", "volume", "time_since_harvest", "sterility_sample"]
    assert all(r.met for r in results)
    assert release_refusals(results) == []


def test_each_failed_criterion_gives_its_own_reason_in_protocol_order():
    bad = GOOD | {
        "viability_percent": 65.0,
        "output_volume_ml": 6.0,
        "hours_since_harvest": 4.5,
        "sterility_sample_taken": False,
    }
    assert release_refusals(evaluate_release(SHIPPED, bad)) == [
        "Viability at least 70 %: measured 65 %, below the minimum of 70 %.",
        "Output volume 0.5 to 5 mL: measured 6 mL, above the maximum of 5 mL.",
        "Released within 4 hours of harvest: measured 4.5 h, above the maximum of 4 h.",
        "Sterility culture sample taken (its result may arrive after injection): recorded no.",
    ]


def test_a_missing_value_is_never_met():
    result = evaluate_criterion(VIABILITY, {})
    assert not result.met and result.reason == "Viability at least 70 %: no value was recorded."


def test_boundaries_are_inclusive():
    assert evaluate_criterion(VIABILITY, {"viability_percent": 70}).met
    assert evaluate_criterion(VOLUME, {"output_volume_ml": 0.5}).met
    assert evaluate_criterion(VOLUME, {"output_volume_ml": 5.0}).met
    assert not evaluate_criterion(VOLUME, {"output_volume_ml": 0.49}).met


@pytest.mark.parametrize("value", [1, "true", "yes", None])
def test_equals_true_accepts_only_the_boolean_true(value):
    assert not evaluate_criterion(STERILITY, {"sterility_sample_taken": value}).met


@pytest.mark.parametrize("value", ["70", float("nan"), float("inf"), True])
def test_a_value_that_is_not_a_finite_number_is_not_met(value):
    result = evaluate_criterion(VIABILITY, {"viability_percent": value})
    assert not result.met and "not a number" in result.reason


def test_large_counts_are_shown_with_thousands_separators():
    count = ReleaseCriterion(code="n", measure="n", label="At least 1 million cells", unit="cells", min=1_000_000)
    assert evaluate_criterion(count, {"n": 250_000}).reason == (
        "At least 1 million cells: measured 250,000 cells, below the minimum of 1,000,000 cells."
    )


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_viability_is_met_exactly_from_the_minimum(value):
    assert evaluate_criterion(VIABILITY, {"viability_percent": value}).met == (value >= 70)


def test_hours_between_counts_fractions():
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    assert hours_between(start, start + timedelta(hours=3, minutes=45)) == 3.75


def test_results_serialise_for_the_release_record():
    assert evaluate_criterion(VIABILITY, {"viability_percent": 80}).as_dict() == {
        "code": "viability",
        "label": "Viability at least 70 %",
        "measure": "viability_percent",
        "value": 80,
        "met": True,
        "reason": "",
    }


# --- regulatory class --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "method", "expected"),
    [
        ("autologous", None, SAME_PROCEDURE_AUTOLOGOUS),
        ("autologous", "centrifugation_concentrate", SAME_PROCEDURE_AUTOLOGOUS),
        ("autologous", "washed_lipoaspirate", SAME_PROCEDURE_AUTOLOGOUS),
        ("autologous", "mechanical_microfragmentation", INVESTIGATIONAL),
        ("autologous", "enzymatic_svf", INVESTIGATIONAL),
        ("allogeneic", "centrifugation_concentrate", INVESTIGATIONAL),
    ],
)
def test_the_suggested_class_follows_origin_and_method(origin, method, expected):
    assert default_regulatory_class(origin=origin, method=method) == expected


def test_a_class_the_site_names_needs_an_approval_reference():
    policy = (INVESTIGATIONAL,)
    assert approval_refusals(regulatory_class=INVESTIGATIONAL, approval_reference=" ", needing_approval=policy)
    assert (
        approval_refusals(regulatory_class=INVESTIGATIONAL, approval_reference="IND 012345", needing_approval=policy)
        == []
    )
    assert (
        approval_refusals(regulatory_class=SAME_PROCEDURE_AUTOLOGOUS, approval_reference="", needing_approval=policy)
        == []
    )
    assert approval_refusals(regulatory_class=INVESTIGATIONAL, approval_reference="", needing_approval=()) == []


def test_product_descriptions_say_what_and_how_without_calling_it_a_stem_cell():
    assert product_description(source="bone_marrow", method="centrifugation_concentrate", volume_ml=3.0) == (
        "Bone marrow, centrifugation concentrate, 3 mL"
    )
    assert product_description(source="adipose", method=None, volume_ml=None) == "Adipose tissue, unprocessed"
    assert "stem" not in product_description(source="adipose", method="enzymatic_svf", volume_ml=2).lower()
