"""Coded values of the consultation and imaging, with their definitions in words (pure: no Django)."""

from __future__ import annotations

MODALITIES = [("xray", "X-ray"), ("mri", "MRI"), ("ultrasound", "Ultrasound")]
AFFECTED_SIDES = [("left", "left"), ("right", "right"), ("both", "both")]
CANDIDACY_DECISIONS = [("eligible", "eligible"), ("ineligible", "not eligible"), ("deferred", "deferred")]
GRIND_TEST = [("positive", "positive"), ("negative", "negative"), ("not_done", "not done")]

SYMPTOMS = [
    ("pain", "Pain"),
    ("stiffness", "Stiffness"),
    ("weakness", "Weakness of grip or pinch"),
    ("swelling", "Swelling"),
    ("deformity", "Deformity"),
    ("instability", "Instability"),
    ("numbness", "Numbness or tingling"),
]

PRIOR_TREATMENTS = [
    ("splint", "Splint or orthosis"),
    ("analgesics", "Analgesics (e.g. paracetamol)"),
    ("nsaids", "Anti-inflammatory painkillers (NSAIDs)"),
    ("corticosteroid_injection", "Corticosteroid injection"),
    ("hyaluronic_injection", "Hyaluronic acid injection"),
    ("hand_therapy", "Hand therapy or physiotherapy"),
    ("surgery", "Surgery"),
    ("other", "Other"),
]
# Treatments that are single dated events: a date is required so that windows can be computed from it.
DATED_TREATMENTS = frozenset({"corticosteroid_injection", "hyaluronic_injection", "surgery"})

DRUG_CLASSES = [
    ("nsaid", "Anti-inflammatory painkiller (NSAID)"),
    ("anticoagulant", "Anticoagulant (e.g. warfarin, apixaban, rivaroxaban)"),
    ("antiplatelet", "Antiplatelet (e.g. aspirin, clopidogrel)"),
    ("analgesic", "Other painkiller (e.g. paracetamol)"),
    ("oral_corticosteroid", "Oral corticosteroid"),
    ("immunomodulator", "Immunomodulator (e.g. methotrexate, biologics)"),
    ("other", "Other"),
]
FLAGGED_DRUG_CLASSES = frozenset({"anticoagulant", "antiplatelet"})

COMORBIDITIES = [
    ("diabetes", "Diabetes"),
    ("hypertension", "High blood pressure"),
    ("rheumatoid_arthritis", "Rheumatoid arthritis"),
    ("psoriatic_arthritis", "Psoriatic arthritis"),
    ("gout", "Gout"),
    ("fibromyalgia", "Fibromyalgia"),
    ("bleeding_disorder", "Bleeding disorder"),
    ("malignancy_history", "History of cancer"),
    ("carpal_tunnel", "Carpal tunnel syndrome"),
    ("de_quervain", "De Quervain's tenosynovitis"),
    ("smoker", "Smokes"),
    ("other", "Other (see notes)"),
]

KL_DEFINITIONS = [
    ("possible_narrowing", "Grade 2 read as definite osteophytes, joint-space narrowing possible"),
    ("definite_narrowing", "Grade 2 read as definite osteophytes and definite joint-space narrowing"),
]

KL_GRADES: dict[int, str] = {
    0: "No features of osteoarthritis",
    1: "Doubtful: doubtful joint-space narrowing and possible osteophytic lipping",
    2: "Minimal: definite osteophytes; joint-space narrowing possible (some sources: definite)",
    3: "Moderate: moderate multiple osteophytes, definite narrowing, some sclerosis, possible deformity of bone ends",
    4: "Severe: large osteophytes, marked narrowing, severe sclerosis, definite deformity of bone ends",
}
KL_SOURCE = "Kellgren & Lawrence, Ann Rheum Dis 1957;16:494-502"

EATON_LITTLER: dict[str, str] = {
    "I": "Subtle widening of the CMC joint space (synovitis, effusion or ligamentous laxity)",
    "II": "Slight narrowing, sclerosis or cysts; osteophytes or loose bodies under 2 mm; under 1/3 subluxation",
    "III": "Advanced narrowing, sclerosis or cysts; osteophytes or loose bodies over 2 mm; over 1/3 subluxation",
    "IV": "Stage III plus scaphotrapezial (STT) arthritis",
}
EATON_LITTLER_STAGES = [(k, f"Stage {k}") for k in EATON_LITTLER]
EATON_LITTLER_NOTE = (
    "Thumb base (trapeziometacarpal, CMC1) only; read on a true lateral radiograph. Reliability between readers "
    "is poor to moderate and the stage matches symptoms inconsistently."
)


def codes(choices: list[tuple[str, str]]) -> list[str]:
    return [code for code, _ in choices]


def label_of(choices: list[tuple[str, str]], code: str) -> str:
    return dict(choices).get(code, code)
