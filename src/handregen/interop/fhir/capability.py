"""The CapabilityStatement: exactly what this server supports, no more."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from handregen.interop.fhir.builders import validated
from handregen.interop.fhir.search_params import INCLUDES, SEARCH_PARAMS
from handregen.interop.fhir.writes import INTERACTIONS

EXPORT_NOTE = (
    "Bulk Data kick-off ($export, Patient/$export, Group/site-<site code>/$export) with `Prefer: respond-async` "
    "(202 and a status URL in Content-Location); parameters _since (an instant with a time zone) and _type. The "
    "export runs asynchronously in a background worker; the status URL answers 202 with X-Progress while it runs, "
    "200 with the manifest and Expires when done, 500 with an OperationOutcome if it failed; DELETE cancels it. "
    "Output: application/fhir+ndjson, one file per resource type, downloaded with the same bearer token "
    "(requiresAccessToken), deleted when they expire. Needs the bulk export permission (site administrator, data "
    "steward); a job is seen by its requester and the site's administrators only; limits per user answer 429."
)


def _resource(resource_type: str) -> dict[str, Any]:
    """One type's entry, from the search registry: what `views.type_search` and `selectors` handle."""
    params = SEARCH_PARAMS[resource_type]
    return {
        "type": resource_type,
        "interaction": [{"code": c} for c in ("read", "search-type", *INTERACTIONS.get(resource_type, ()))],
        "versioning": "versioned",
        "readHistory": False,
        "searchParam": [
            {"name": p.name, "definition": p.definition, "type": p.type, "documentation": p.documentation}
            for p in params.values()
        ],
        "searchInclude": [f"{s}:{n}" for (s, n) in INCLUDES if s == resource_type] or None,
        "searchRevInclude": [f"{s}:{n}" for (s, n), target in INCLUDES.items() if target == resource_type] or None,
    }


def capability_statement() -> dict[str, Any]:
    patient = {
        **_resource("Patient"),
        "operation": [
            {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
            {
                "name": "export",
                "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export",
                "documentation": EXPORT_NOTE,
            },
        ],
    }
    others = [_resource(t) for t in sorted(SEARCH_PARAMS) if t != "Patient"]
    return validated(
        CapabilityStatement,
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-12-05",
            "publisher": "handregen",
            "kind": "instance",
            "software": {"name": "handregen"},
            "implementation": {
                "description": (
                    "handregen FHIR R4 API (read, search, create/update of Patient and QuestionnaireResponse, "
                    "transaction; bearer token), Bulk Data $export (asynchronous)"
                )
            },
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Searches page with _count and _offset (next/previous links) and give a true total "
                        "(omitted with _total=none); _sort on the date parameters; _summary=count; "
                        "Prefer: handling=strict refuses unknown parameters, lenient (the default) ignores them "
                        "and says so in an OperationOutcome entry. See docs/fhir.md."
                    ),
                    "security": {"description": "Bearer token from `handregen token create`."},
                    "resource": [patient, *others],
                    "interaction": [{"code": "transaction"}],
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
