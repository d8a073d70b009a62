"""The CapabilityStatement: exactly what this server supports, no more."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from handregen.interop.fhir.builders import BY_PATIENT, validated

EXPORT_NOTE = (
    "Bulk Data kick-off with `Prefer: respond-async` (202 and a status URL in Content-Location). The export "
    "runs asynchronously, after the kick-off has answered, into a per-job folder on the server; the status URL "
    "answers 202 with X-Progress while it runs, 200 with the manifest when done, 500 with an OperationOutcome "
    "if it failed. Output: application/fhir+ndjson, one file per resource type, "
    "downloaded with the same bearer token (site-scoped). No _since or _type filters yet."
)


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
            {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
            {
                "name": "export",
                "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export",
                "documentation": EXPORT_NOTE,
            },
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
            "implementation": {
                "description": "handregen FHIR R4 read API (read-only; bearer token), Bulk Data $export (asynchronous)"
            },
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "security": {"description": "Bearer token from `handregen token create`."},
                    "resource": [patient, *by_patient],
                    "operation": [
                        {
                            "name": "export",
                            "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                            "documentation": EXPORT_NOTE,
                        }
                    ],
                }
            ],
        },
    )
