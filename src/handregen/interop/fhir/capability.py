"""The CapabilityStatement: exactly what this server supports, no more."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from handregen.interop.fhir.builders import BY_PATIENT, validated

EXPORT_NOTE = (
    "Bulk Data kick-off ($export, Patient/$export, Group/site-<site code>/$export) with `Prefer: respond-async` "
    "(202 and a status URL in Content-Location); parameters _since (an instant with a time zone) and _type. The "
    "export runs asynchronously in a background worker; the status URL answers 202 with X-Progress while it runs, "
    "200 with the manifest and Expires when done, 500 with an OperationOutcome if it failed; DELETE cancels it. "
    "Output: application/fhir+ndjson, one file per resource type, downloaded with the same bearer token "
    "(requiresAccessToken), deleted when they expire. Needs the bulk export permission (site administrator, data "
    "steward); a job is seen by its requester and the site's administrators only; limits per user answer 429."
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
