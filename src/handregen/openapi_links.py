"""OpenAPI links: what a client can do next with the record a create operation returns.

Ninja writes no links; these tell a client (and Schemathesis' stateful phase) that the `id` in a 201 answer
is the path parameter of the record's own operations. Keyed by operation: {link name: (target, parameter,
response field)}. A link whose target is not in the document is left out, so a renamed view cannot break
the document.
"""

from __future__ import annotations

from typing import Any

_P = "handregen_patients_api_"
_E = "handregen_pathway_api_"
_EPISODE_STEPS = {
    "GetEpisode": _E + "episode_detail",
    "GetTimeline": _E + "episode_timeline",
    "RecordConsultation": "handregen_evaluation_api_consultation_create",
    "GetEvaluation": "handregen_evaluation_api_evaluation_detail",
    "GetConsent": "handregen_consent_api_consent_detail",
    "GetPreparation": "handregen_preparation_api_preparation_detail",
    "GetFollowUps": "handregen_outcomes_api_episode_follow_ups",
    "RecordAdverseEvent": "handregen_safety_api_adverse_event_create",
    "ListAdverseEvents": "handregen_safety_api_adverse_event_list",
    "WithdrawEpisode": _E + "episode_withdraw",
}
_PRODUCT_STEPS = {
    "GetProduct": "handregen_cellproducts_api_product_detail",
    "ReceiveProduct": "handregen_cellproducts_api_product_receive",
    "GetLabel": "handregen_cellproducts_api_product_label",
}
_RESPONSE_STEPS = {
    "GetResponse": "handregen_outcomes_api_response_detail",
    "AmendResponse": "handregen_outcomes_api_response_amend",
}


def _to(targets: dict[str, str], parameter: str, field: str) -> dict[str, tuple[str, str, str]]:
    return {name: (target, parameter, field) for name, target in targets.items()}


LINKS: dict[str, dict[str, tuple[str, str, str]]] = {
    _P + "patient_create": {
        "GetPatient": (_P + "patient_detail", "patient_id", "id"),
        "GetWristband": ("handregen_cellproducts_api_wristband_pdf", "patient_id", "id"),
        "OpenEpisode": (_E + "episode_create", "body.patient_id", "id"),
    },
    _E + "episode_create": _to(_EPISODE_STEPS, "episode_id", "id"),
    "handregen_procedures_api_harvest": _to(_PRODUCT_STEPS, "product_id", "product_id"),
    "handregen_cellproducts_api_donor_create": {
        "GetDonor": ("handregen_cellproducts_api_donor_detail", "donor_id", "id"),
    },
    "handregen_safety_api_adverse_event_create": {
        "GetAdverseEvent": ("handregen_safety_api_adverse_event_detail", "adverse_event_id", "id"),
        "AmendAdverseEvent": ("handregen_safety_api_adverse_event_amend", "adverse_event_id", "id"),
    },
    "handregen_outcomes_api_response_create": _to(_RESPONSE_STEPS, "response_id", "id"),
    "handregen_outcomes_api_baseline_response": _to(_RESPONSE_STEPS, "response_id", "id"),
    "handregen_scheduling_api_appointment_create": {
        "GetAppointment": ("handregen_scheduling_api_appointment_detail", "appointment_id", "id"),
        "MoveAppointment": ("handregen_scheduling_api_appointment_move", "appointment_id", "id"),
        "CancelAppointment": ("handregen_scheduling_api_appointment_cancel", "appointment_id", "id"),
    },
}


def _link(target: str, parameter: str, field: str) -> dict[str, Any]:
    expression = f"$response.body#/{field}"
    if parameter.startswith("body."):
        return {"operationId": target, "requestBody": {parameter.removeprefix("body."): expression}}
    return {"operationId": target, "parameters": {f"path.{parameter}": expression}}


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Write LINKS into the 201 answers of `schema` (changed in place, returned)."""
    operations = [op for ops in schema.get("paths", {}).values() for op in ops.values()]
    known = {op.get("operationId") for op in operations}
    for operation in operations:
        wanted = LINKS.get(operation.get("operationId", ""), {})
        created = next((r for code, r in operation.get("responses", {}).items() if str(code) == "201"), None)
        if not wanted or created is None:
            continue
        links = {name: _link(*spec) for name, spec in wanted.items() if spec[0] in known}
        if links:
            created["links"] = links
    return schema
