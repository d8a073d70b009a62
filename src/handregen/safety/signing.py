"""When an adverse event locks and what its lock covers (registered with handregen.signatures when ready)."""

from __future__ import annotations

from typing import Any

from handregen.safety.models import AdverseEvent
from handregen.safety.services import AMENDABLE  # the signed content is what an amendment may change
from handregen.signatures.kinds import Kind, record_fields

# Adverse-event outcomes that close the event (nothing more to follow).
CLOSED_OUTCOMES = frozenset({"recovered", "recovered_with_sequelae", "fatal"})


def _adverse_event_form(event: AdverseEvent) -> dict[str, Any]:
    return record_fields(
        event,
        ("site_id", "episode_id", "patient_id", "cycle", *AMENDABLE, "reported_by_id", "reported_at"),
    )


KIND = Kind(
    "adverse_event",
    AdverseEvent,
    "adverse event",
    _adverse_event_form,
    {},
    locked_when=lambda e: e.outcome in CLOSED_OUTCOMES,
)
