"""Code systems and codes used in handregen's FHIR resources."""

from __future__ import annotations

HANDREGEN_CS = "https://handregen.org/fhir/CodeSystem"
MRN_SYSTEM = "https://handregen.org/fhir/sid/mrn"  # qualified by the site code in Identifier.assigner
WRISTBAND_SYSTEM = "https://handregen.org/fhir/sid/wristband"
PRODUCT_SYSTEM = "https://handregen.org/fhir/sid/product-code"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"

# handregen extensions on QuestionnaireResponse and Observation: where a response belongs in the episode.
HANDREGEN_SD = "https://handregen.org/fhir/StructureDefinition"
EXT_TIMEPOINT = f"{HANDREGEN_SD}/follow-up-timepoint"  # valueCode: "baseline", "w2", "m3", …
EXT_CYCLE = f"{HANDREGEN_SD}/treatment-cycle"  # valueInteger: 1, 2, …
EXT_SIDE = f"{HANDREGEN_SD}/measured-side"  # valueCode: "left" | "right" (grip, pinch)
EXT_VARIANT = f"{HANDREGEN_SD}/pinch-type"  # valueCode: "tip" | "key" | "palmar"
# On Patient: what FHIR has no element for.
EXT_DOMINANT_HAND = f"{HANDREGEN_SD}/dominant-hand"  # valueCode: "left" | "right" | "ambidextrous"
EXT_OCCUPATION = f"{HANDREGEN_SD}/occupation"  # valueString

# Conditions: ICD-10 codes for the indications (M18 = arthrosis of first carpometacarpal joint,
# M15.x/M19.04 hand joints, M19.03 wrist), with our own code alongside.
CONDITION_CODES: dict[str, list[dict[str, str]]] = {
    "thumb_cmc_oa": [
        {"system": ICD10, "code": "M18.9", "display": "Arthrosis of first carpometacarpal joint, unspecified"}
    ],
    "finger_oa": [{"system": ICD10, "code": "M19.04", "display": "Primary arthrosis, hand"}],
    "wrist_oa": [{"system": ICD10, "code": "M19.03", "display": "Primary arthrosis, wrist"}],
}

BODY_SITE_SIDE = {
    "left": {"system": SNOMED, "code": "7771000", "display": "Left"},
    "right": {"system": SNOMED, "code": "24028007", "display": "Right"},
}

GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


def handregen_code(kind: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": f"{HANDREGEN_CS}/{kind}", "code": code}
    if display:
        coding["display"] = display
    return coding


# Procedure: the cell product injected. R4 allows Procedure.usedReference to point only to Device, Medication or
# Substance, and BiologicallyDerivedProduct has no element pointing to a procedure, so the link is this extension.
EXT_PRODUCT_USED = f"{HANDREGEN_SD}/cell-product-used"  # valueReference: BiologicallyDerivedProduct
# AdverseEvent: the WHO-UMC causality when no procedure of the episode can be the suspect entity.
EXT_CAUSALITY = f"{HANDREGEN_SD}/causality"  # valueCodeableConcept

SERIOUSNESS_CS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
CAUSALITY_CS = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"
# WHO-UMC relatedness (safety.terms.RELATEDNESS) -> HL7's causality assessment codes (the same WHO-UMC scale).
CAUSALITY = {
    "certain": ("Certain", "Certain"),
    "probable": ("Probably-Likely", "Probably/Likely"),
    "possible": ("Possible", "Possible"),
    "unlikely": ("Unlikely", "Unlikely"),
    "conditional": ("Conditional-Classified", "Conditional/Classified"),
    "unassessable": ("Unassessable-Unclassifiable", "Unassessable/Unclassifiable"),
}
# The unit of a score (UCUM annotation: a dimensionless count with a label).
SCORE_UNIT = {"unit": "{score}", "system": UCUM, "code": "{score}"}
# Questionnaire canonical URLs: <QUESTIONNAIRE_BASE>/<instrument>, versioned by the instrument file's version.
QUESTIONNAIRE_BASE = "https://handregen.org/fhir/Questionnaire"
