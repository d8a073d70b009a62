"""A cell product's life as one explicit state machine (pure: no Django), like the episode's in pathway/stages.py.

A product is collected at the harvest, received in the lab, processed, released after the second person's
verification, and administered at the bedside; it may be discarded at any point before it is given. Each step
names the statuses it may start from; `moved` is the only way the services change a status, so a step the
table does not allow cannot be written even if a guard above it were forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProductStatus(StrEnum):
    COLLECTED = "collected"
    RECEIVED = "received"
    PROCESSED = "processed"
    RELEASED = "released"
    ADMINISTERED = "administered"
    DISCARDED = "discarded"


STATUS_WORDS: dict[ProductStatus, str] = {
    ProductStatus.COLLECTED: "collected",
    ProductStatus.RECEIVED: "received in the lab",
    ProductStatus.PROCESSED: "processed",
    ProductStatus.RELEASED: "released",
    ProductStatus.ADMINISTERED: "administered",
    ProductStatus.DISCARDED: "discarded",
}
IN_LAB = frozenset({ProductStatus.COLLECTED, ProductStatus.RECEIVED, ProductStatus.PROCESSED})
FINAL = frozenset({ProductStatus.ADMINISTERED, ProductStatus.DISCARDED})


@dataclass(frozen=True)
class Step:
    action: str
    sources: frozenset[ProductStatus]
    target: ProductStatus
    words: str


P = ProductStatus
STEPS: dict[str, Step] = {
    s.action: s
    for s in (
        Step("receive", frozenset({P.COLLECTED}), P.RECEIVED, "be received in the lab"),
        # processing may be corrected (with a reason) while the product is still processed, not after release
        Step("process", frozenset({P.RECEIVED, P.PROCESSED}), P.PROCESSED, "have its processing recorded"),
        Step("release", frozenset({P.PROCESSED}), P.RELEASED, "be released"),
        Step("administer", frozenset({P.RELEASED}), P.ADMINISTERED, "be given to the patient"),
        Step("discard", frozenset(set(P) - FINAL), P.DISCARDED, "be discarded"),
    )
}


def step_refusal(action: str, status: str) -> str | None:
    """Why `action` cannot start from `status`, in words; None when it can."""
    step = STEPS[action]
    if ProductStatus(status) in step.sources:
        return None
    return f"The product is {STATUS_WORDS[ProductStatus(status)]}; it cannot {step.words} now."


def moved(status: str, action: str) -> ProductStatus:
    """The status after `action`; raises ValueError for a step the table does not allow."""
    refusal = step_refusal(action, status)
    if refusal:
        raise ValueError(refusal)
    return STEPS[action].target
