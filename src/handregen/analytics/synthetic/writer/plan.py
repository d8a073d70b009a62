"""Where a synthetic episode stays and the words its records use: names, complaints, reasons (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handregen.analytics.synthetic.cohort import SyntheticPatient
from handregen.pathway.stages import Stage

# Days after the referral of each step (the injection is on day 42, as the cohort has it).
CONSULTATION_DAY, CONSENT_DAY, WITHDRAWAL_DAY = 14, 28, 35

GIVEN = {
    "female": (
        "Margaret",
        "Susan",
        "Helen",
        "Anne",
        "Linda",
        "Carol",
        "Janet",
        "Ruth",
        "Maria",
        "Ingrid",
        "Fatima",
        "Grace",
        "Elena",
        "Joan",
        "Priya",
        "Mei",
    ),
    "male": (
        "John",
        "Peter",
        "David",
        "Michael",
        "Robert",
        "Ahmed",
        "Thomas",
        "George",
        "Paul",
        "Karl",
        "James",
        "Luis",
        "Arjun",
        "Kenji",
    ),
}
FAMILY = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "Khan",
    "Patel",
    "Murphy",
    "Walsh",
    "Novak",
    "Berg",
    "Rossi",
    "Silva",
    "Clarke",
    "Hughes",
    "Ward",
    "Price",
    "Moreau",
    "Jansen",
    "Okafor",
    "Nowak",
    "Lindqvist",
)
OCCUPATIONS = (
    "retired",
    "retired",
    "retired",
    "teacher",
    "office worker",
    "nurse",
    "hairdresser",
    "carpenter",
    "musician",
    "shop assistant",
    "cleaner",
    "farmer",
    "",
)
COMPLAINTS = {
    "thumb_cmc_oa": "Pain at the base of the thumb when pinching, opening jars and turning keys",
    "finger_oa": "Painful, stiff finger joint; fine work and gripping are difficult",
    "wrist_oa": "Wrist pain on loading, with less movement than before",
}
FINDINGS = {
    1: "Subtle widening of the joint space",
    2: "Narrowing and small osteophytes",
    3: "Marked narrowing, sclerosis and osteophytes",
    4: "Severe narrowing with neighbouring joint changes",
}
WITHDRAWAL_REASONS = (
    "The patient decided not to go ahead with the procedure.",
    "The patient moved away from the area.",
    "A new illness makes the procedure inadvisable for now; the patient may be referred again.",
    "The patient chose surgery instead.",
)
# (answers that differ from a clean candidate, comorbidities, rationale)
INELIGIBLE: tuple[tuple[dict[str, bool], list[str], str], ...] = (
    ({"failed_conservative_care": False}, [], "Conservative care not yet tried: hand therapy and a splint first."),
    ({"systemic_inflammatory_flare": True}, ["rheumatoid_arthritis"], "Inflammatory arthritis in flare."),
    ({"active_malignancy": True}, ["malignancy_history"], "Active malignancy under treatment."),
)
DEFERRAL = "Corticosteroid injection into the joint within the protocol's window; re-evaluate when it has passed."
SOFT_FLAG_RATIONALE = "Antiplatelet drug noted: the prescriber decides on any hold before the harvest."


@dataclass
class Plan:
    """Where one synthetic episode stays, and which records it has."""

    stage: str
    consulted: bool
    decision: str | None
    consented: bool
    injected: bool
    withdrawal_reason: str = ""


def plan_for(p: SyntheticPatient, today: date) -> Plan:
    elapsed = (today - p.referred_on).days
    stop = p.stop
    if elapsed < CONSULTATION_DAY or stop == "referred":
        return Plan(Stage.REFERRED, False, None, False, False)
    if stop == "consulted":
        return Plan(Stage.CONSULTED, True, None, False, False)
    if stop in ("ineligible", "deferred"):
        return Plan(stop, True, stop, False, False)
    if stop == "withdrawn_before_injection" and elapsed >= WITHDRAWAL_DAY:
        reason = WITHDRAWAL_REASONS[p.number % len(WITHDRAWAL_REASONS)]
        return Plan(Stage.WITHDRAWN, True, "eligible", p.number % 2 == 0, False, reason)
    if elapsed < CONSENT_DAY:
        return Plan(Stage.ELIGIBLE, True, "eligible", False, False)
    if stop is not None or p.injected_on >= today:
        return Plan(Stage.CONSENTED, True, "eligible", True, False)
    return Plan(Stage.FOLLOW_UP, True, "eligible", True, True)
