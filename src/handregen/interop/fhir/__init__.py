"""HL7 FHIR R4 read API and resource builders (validated with fhir.resources R4B models)."""
