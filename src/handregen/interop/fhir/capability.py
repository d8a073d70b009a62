"""The CapabilityStatement: exactly what this server supports, no more."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from handregen.interop.fhir.builders import BY_PATIENT, validated


def capability_statement() -> dict[str, Any]:
    by_patient = [
        {"type": t, "interaction": [{"code": "search-type"}], "searchParam": [{"name": "patient", "type": "reference"}]}
        for t in sorted(BY_PATIENT)
    ]
    patient = {
        "type": "Patient",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "identifier", "type": "token"}, {"name": "name", "type": "string"}],
        "operation": [
            {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}
        ],
    }
    return validated(
        CapabilityStatement,
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-11-28",
            "publisher": "handregen",
            "kind": "instance",
            "software": {"name": "handregen"},
            "implementation": {"description": "handregen FHIR R4 read API (read-only; bearer token)"},
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "security": {"description": "Bearer token from `handregen token create`."},
                    "resource": [patient, *by_patient],
                }
            ],
        },
    )
