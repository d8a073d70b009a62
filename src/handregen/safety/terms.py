"""Adverse-event vocabularies as data (pure: no Django): terms, CTCAE grades, ICH E2A seriousness, WHO-UMC.

Sources: CTCAE v5.0 general grade definitions (NCI 2017); ICH E2A (1994) seriousness criteria; WHO-UMC
causality categories (clinical-facts §6). "Related" = certain, probable or possible (handregen decision).
"""

from __future__ import annotations

# Common events after a fat or bone-marrow harvest and a joint injection; anything else is "other" + text.
TERMS: dict[str, str] = {
    "injection_site_pain_flare": "Pain flare at the injection site",
    "injection_site_swelling": "Swelling at the injection site",
    "infection": "Infection (injection or harvest site)",
    "harvest_site_haematoma": "Haematoma at the harvest site",
    "vasovagal_reaction": "Vasovagal reaction (fainting, light-headedness)",
    "numbness": "Numbness or tingling",
    "other": "Other (describe)",
}

# CTCAE v5.0 general definitions (NCI, 27 Nov 2017); term-specific criteria override these.
GRADES: dict[int, str] = {
    1: "Grade 1 — Mild; asymptomatic or mild symptoms; clinical or diagnostic observations only; "
    "intervention not indicated",
    2: "Grade 2 — Moderate; minimal, local or noninvasive intervention indicated; limiting age-appropriate "
    "instrumental ADL (meals, shopping, telephone, money)",
    3: "Grade 3 — Severe or medically significant but not immediately life-threatening; hospitalization or "
    "prolongation indicated; disabling; limiting self-care ADL",
    4: "Grade 4 — Life-threatening consequences; urgent intervention indicated",
    5: "Grade 5 — Death related to the adverse event",
}

# ICH E2A: serious if it results in death, is life-threatening, requires or prolongs hospitalisation,
# results in persistent or significant disability, is a congenital anomaly, or is an important medical event.
SERIOUSNESS_CRITERIA: dict[str, str] = {
    "death": "Results in death",
    "life_threatening": "Life-threatening (at risk of death at the time of the event)",
    "hospitalisation": "Requires inpatient hospitalisation or prolongs an existing one",
    "disability": "Results in persistent or significant disability or incapacity",
    "congenital_anomaly": "Congenital anomaly or birth defect",
    "important_medical_event": "Important medical event (medical judgement)",
}

# WHO-UMC causality categories.
RELATEDNESS: dict[str, str] = {
    "certain": "Certain",
    "probable": "Probable / likely",
    "possible": "Possible",
    "unlikely": "Unlikely",
    "conditional": "Conditional / unclassified (more data needed)",
    "unassessable": "Unassessable / unclassifiable",
}
RELATED = frozenset({"certain", "probable", "possible"})

ACTIONS: dict[str, str] = {
    "none": "None",
    "observation": "Observation only",
    "medication": "Medication (e.g. analgesics)",
    "antibiotics": "Antibiotics",
    "procedure": "Procedure (e.g. drainage)",
    "hospitalisation": "Hospital admission",
    "other": "Other",
}

OUTCOMES: dict[str, str] = {
    "recovering": "Recovering / resolving",
    "recovered": "Recovered / resolved",
    "recovered_with_sequelae": "Recovered with sequelae",
    "not_recovered": "Not recovered / not resolved",
    "fatal": "Fatal",
    "unknown": "Unknown",
}
RESOLVED_OUTCOMES = frozenset({"recovered", "recovered_with_sequelae"})

REINTERVENTION_TYPES: dict[str, str] = {
    "trapeziectomy": "Trapeziectomy (resection arthroplasty)",
    "arthrodesis": "Arthrodesis (joint fusion)",
    "joint_replacement": "Joint replacement",
    "denervation": "Denervation",
    "repeat_injection": "Repeat injection",
    "other": "Other",
}


def is_related(category: str | None) -> bool | None:
    """ICH E2A's related / not related from a WHO-UMC category; None when no category is given."""
    return None if category is None else category in RELATED


def seriousness_problems(
    *, grade: int, serious: bool, criteria: list[str], outcome: str | None
) -> list[tuple[str, str]]:
    """(field, message) for each way grade, seriousness, its criteria and the outcome contradict each other."""
    problems: list[tuple[str, str]] = []
    unknown = [c for c in criteria if c not in SERIOUSNESS_CRITERIA]
    if unknown:
        problems.append(("seriousness_criteria", f"unknown criteria: {', '.join(unknown)}"))
    if grade == 5 and not serious:
        problems.append(("serious", "a grade 5 event (death) is serious: set serious to true with the criterion death"))
    if grade == 5 and serious and "death" not in criteria:
        problems.append(("seriousness_criteria", "a grade 5 event needs the criterion death"))
    if serious and not criteria:
        problems.append(("seriousness_criteria", "a serious event needs at least one ICH E2A criterion"))
    if not serious and criteria:
        problems.append(("seriousness_criteria", "criteria are given but the event is not marked serious"))
    if "death" in criteria and grade != 5:
        problems.append(("grade", "an event that resulted in death is grade 5"))
    if outcome == "fatal" and grade != 5:
        problems.append(("outcome", "a fatal outcome is grade 5"))
    if grade == 5 and outcome not in (None, "fatal"):
        problems.append(("outcome", "a grade 5 event has the outcome fatal"))
    return problems
