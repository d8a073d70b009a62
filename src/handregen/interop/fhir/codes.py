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
