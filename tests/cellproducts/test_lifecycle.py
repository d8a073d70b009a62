"""The product's life as a table: only the steps it lists can be written, and every status reads in words."""

from __future__ import annotations

import pytest

from handregen.cellproducts.lifecycle import FINAL, STATUS_WORDS, STEPS, ProductStatus, moved, step_refusal
from handregen.cellproducts.models import STATUSES

HAPPY_PATH = [
    ("receive", "received"),
    ("process", "processed"),
    ("release", "released"),
    ("administer", "administered"),
]


def test_a_product_goes_from_collection_to_the_patient_one_step_at_a_time() -> None:
    status: str = ProductStatus.COLLECTED
    for action, expected in HAPPY_PATH:
        status = moved(status, action)
        assert status == expected


@pytest.mark.parametrize("status", list(ProductStatus))
@pytest.mark.parametrize("action", list(STEPS))
def test_no_step_outside_the_table_can_be_written(status: ProductStatus, action: str) -> None:
    allowed = status in STEPS[action].sources
    if allowed:
        assert moved(status, action) == STEPS[action].target
    else:
        with pytest.raises(ValueError, match=f"The product is {STATUS_WORDS[status]}; it cannot"):
            moved(status, action)


def test_skipping_the_lab_or_the_release_is_refused_in_words() -> None:
    assert step_refusal("release", "received") == "The product is received in the lab; it cannot be released now."
    assert step_refusal("administer", "processed") == (
        "The product is processed; it cannot be given to the patient now."
    )


def test_a_given_or_discarded_product_takes_no_further_step() -> None:
    for status in FINAL:
        assert all(step_refusal(action, status) for action in STEPS)


def test_the_models_choices_are_the_lifecycle_in_words() -> None:
    assert dict(STATUSES) == {s.value: STATUS_WORDS[s] for s in ProductStatus}
    assert not any("_" in words for words in STATUS_WORDS.values())
