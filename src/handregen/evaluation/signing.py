"""What a candidacy decision's signature covers (registered with handregen.signatures when the app is ready)."""

from __future__ import annotations

from typing import Any

from handregen.accounts.roles import Permission
from handregen.evaluation.models import CandidacyDecision
from handregen.signatures.kinds import Kind, record_fields

CANDIDACY = "candidacy decision"


def _candidacy_form(decision: CandidacyDecision) -> dict[str, Any]:
    return record_fields(
        decision,
        (
            "site_id",
            "episode_id",
            "patient_id",
            "consultation_id",
            "protocol_code",
            "protocol_version",
            "answers",
            "derived",
            "soft_flags",
            "decision",
            "rationale",
            "decided_by_id",
            "decided_at",
        ),
    )


KIND = Kind(
    "candidacy_decision",
    CandidacyDecision,
    "candidacy decision",
    _candidacy_form,
    {CANDIDACY: Permission.CANDIDACY_DECIDE},
)
