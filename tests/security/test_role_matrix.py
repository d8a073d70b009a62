"""Z2 role-by-action matrix: one table says which roles may use each API operation; the tests are generated from it.

`MATRIX` names, for every operation of the REST API (method + OpenAPI path), the permission of roles.py it
rests on and, written out for a reviewer, the roles that carry it. A test checks the written-out roles against
roles.py, so the two cannot drift; another fails for an operation or a role missing from the table.

For each (operation, role): an allowed role gets an answer that is not 401/403/404 (a POST may be refused by a
guard, 409, or by validation, 422: the role was let through); a refused role gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from handregen.accounts.roles import ROLES, Permission, Role
from tests.conftest import PASSWORD
from tests.journeys import CHECKLIST_ALL, CONSENT_BODY, criteria_body
from tests.security.routes import api_operations, fill
from tests.security.world import QUICKDASH, World

P = Permission
ALL_ROLES = tuple(r.value for r in Role)
CLINICAL = "physician nurse coordinator lab_technician"  # PATIENT_VIEW
ANY = " ".join(ALL_ROLES)

# (METHOD, path) → (permission or None for reference data any staff role may read, the roles allowed).
MATRIX: dict[tuple[str, str], tuple[Permission | tuple[Permission, ...] | None, str]] = {
    # patients
    ("GET", "/api/v1/patients"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/patients"): (P.PATIENT_REGISTER, "physician nurse coordinator"),
    ("GET", "/api/v1/patients/{patient_id}"): (P.PATIENT_VIEW, CLINICAL),
    ("GET", "/api/v1/patients/{patient_id}/wristband.pdf"): (P.PATIENT_VIEW, CLINICAL),
    # emergency access to another site's patient (A6); a patient of one's own site is refused with 409
    ("POST", "/api/v1/patients/{patient_id}/break-glass"): (P.BREAK_GLASS, "physician site_admin"),
    # the audit trail's reviewers
    ("GET", "/api/v1/audit/break-glass"): (P.AUDIT_VIEW, "site_admin"),
    ("GET", "/api/v1/audit/events"): (P.AUDIT_VIEW, "site_admin"),
    # episodes and pathway steps
    ("POST", "/api/v1/episodes"): (P.EPISODE_OPEN, "physician nurse coordinator"),
    ("GET", "/api/v1/episodes/{episode_id}"): (P.PATIENT_VIEW, CLINICAL),
    ("GET", "/api/v1/episodes/{episode_id}/timeline"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/episodes/{episode_id}/withdraw"): (P.EPISODE_WITHDRAW, "physician nurse coordinator"),
    ("POST", "/api/v1/episodes/{episode_id}/consultation"): (P.CONSULTATION_RECORD, "physician"),
    ("POST", "/api/v1/episodes/{episode_id}/candidacy"): (P.CANDIDACY_DECIDE, "physician"),
    ("GET", "/api/v1/episodes/{episode_id}/evaluation"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/episodes/{episode_id}/consent"): (P.CONSENT_RECORD, "physician"),
    ("GET", "/api/v1/episodes/{episode_id}/consent"): (P.PATIENT_VIEW, CLINICAL),
    # a patient's withdrawal is never held up by a role: those who take consent or withdraw episodes record it
    ("POST", "/api/v1/episodes/{episode_id}/consent/withdraw"): (
        (P.CONSENT_RECORD, P.EPISODE_WITHDRAW),
        "physician nurse coordinator",
    ),
    ("GET", "/api/v1/episodes/{episode_id}/consent/pdf"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/episodes/{episode_id}/consent/sign"): (P.CONSENT_RECORD, "physician"),
    ("POST", "/api/v1/episodes/{episode_id}/consent/amend"): (P.CONSENT_RECORD, "physician"),
    ("POST", "/api/v1/episodes/{episode_id}/preparation"): (P.PREPARATION_COMPLETE, "physician nurse"),
    ("GET", "/api/v1/episodes/{episode_id}/preparation"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/episodes/{episode_id}/harvest"): (P.HARVEST_RECORD, "physician"),
    ("POST", "/api/v1/episodes/{episode_id}/injection"): (P.INJECTION_RECORD, "physician"),
    ("POST", "/api/v1/episodes/{episode_id}/post-care"): (P.POST_CARE_RECORD, "physician nurse"),
    ("GET", "/api/v1/episodes/{episode_id}/post-care"): (P.PATIENT_VIEW, CLINICAL),
    ("GET", "/api/v1/episodes/{episode_id}/aftercare-instructions"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/episodes/{episode_id}/repeat-cycle"): (P.CYCLE_REPEAT, "physician"),
    ("GET", "/api/v1/episodes/{episode_id}/follow-ups"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/episodes/{episode_id}/baseline-responses"): (P.FOLLOW_UP_RECORD, "physician nurse coordinator"),
    ("POST", "/api/v1/episodes/{episode_id}/adverse-events"): (P.ADVERSE_EVENT_RECORD, "physician nurse"),
    ("GET", "/api/v1/episodes/{episode_id}/adverse-events"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/episodes/{episode_id}/reinterventions"): (P.FOLLOW_UP_RECORD, "physician nurse coordinator"),
    ("GET", "/api/v1/episodes/{episode_id}/reinterventions"): (P.PATIENT_VIEW, CLINICAL),
    # follow-ups and responses
    ("GET", "/api/v1/follow-ups"): (P.PATIENT_VIEW, CLINICAL),
    ("GET", "/api/v1/follow-ups/{follow_up_id}"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/follow-ups/{follow_up_id}/responses"): (P.FOLLOW_UP_RECORD, "physician nurse coordinator"),
    ("GET", "/api/v1/follow-ups/{follow_up_id}/responses"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/follow-ups/{follow_up_id}/measurements"): (P.FOLLOW_UP_RECORD, "physician nurse coordinator"),
    ("POST", "/api/v1/follow-ups/{follow_up_id}/complete"): (P.FOLLOW_UP_RECORD, "physician nurse coordinator"),
    ("POST", "/api/v1/follow-ups/{follow_up_id}/questionnaire-link"): (
        P.FOLLOW_UP_RECORD,
        "physician nurse coordinator",
    ),
    ("GET", "/api/v1/responses/{response_id}"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/responses/{response_id}/amend"): (P.FOLLOW_UP_RECORD, "physician nurse coordinator"),
    # safety
    ("GET", "/api/v1/adverse-events/{adverse_event_id}"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/adverse-events/{adverse_event_id}/amend"): (P.ADVERSE_EVENT_RECORD, "physician nurse"),
    ("GET", "/api/v1/safety-alerts"): (P.PATIENT_VIEW, CLINICAL),  # each sees the alerts addressed to them
    ("POST", "/api/v1/safety-alerts/{alert_id}/acknowledge"): (P.ADVERSE_EVENT_RECORD, "physician nurse"),
    # cell products and donors
    ("GET", "/api/v1/products"): (P.PATIENT_VIEW, CLINICAL),
    ("GET", "/api/v1/products/{product_id}"): (P.PATIENT_VIEW, CLINICAL),
    ("GET", "/api/v1/products/{product_id}/label.pdf"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/products/{product_id}/receipt"): (P.PRODUCT_PROCESS, "lab_technician"),
    ("POST", "/api/v1/products/{product_id}/processing"): (P.PRODUCT_PROCESS, "lab_technician"),
    ("POST", "/api/v1/products/{product_id}/release"): (P.PRODUCT_RELEASE, "lab_technician"),
    # the body's meaning decides: 'release verification' (the row's sample) needs PRODUCT_VERIFY
    ("POST", "/api/v1/products/{product_id}/sign"): (P.PRODUCT_VERIFY, "physician lab_technician"),
    ("POST", "/api/v1/products/{product_id}/discard"): (P.PRODUCT_PROCESS, "lab_technician"),
    ("POST", "/api/v1/donors"): (P.HARVEST_RECORD, "physician"),
    ("GET", "/api/v1/donors/{donor_id}"): (P.PATIENT_VIEW, CLINICAL),
    # de-identified cohort figures
    ("GET", "/api/v1/analytics/outcomes"): (
        P.COHORT_VIEW_DEIDENTIFIED,
        "physician nurse coordinator researcher site_admin",
    ),
    ("GET", "/api/v1/analytics/expectation"): (
        P.COHORT_VIEW_DEIDENTIFIED,
        "physician nurse coordinator researcher site_admin",
    ),
    # appointments: every clinical role reads the calendar; those who schedule book, move and cancel
    ("GET", "/api/v1/appointments"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/appointments"): (P.APPOINTMENT_BOOK, "physician nurse coordinator"),
    ("GET", "/api/v1/appointments/{appointment_id}"): (P.PATIENT_VIEW, CLINICAL),
    ("POST", "/api/v1/appointments/{appointment_id}/reschedule"): (P.APPOINTMENT_BOOK, "physician nurse coordinator"),
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): (P.APPOINTMENT_BOOK, "physician nurse coordinator"),
    # reference data: the protocol file and the consent document text hold no patient data
    # unlocking a locked record (voids its signatures): an administrative act, apart from those who sign
    ("POST", "/api/v1/unlocks"): (P.UNLOCK_RECORDS, "site_admin"),
    ("GET", "/api/v1/protocols/{code}"): (None, ANY),
    ("GET", "/api/v1/consent-documents/{version}"): (None, ANY),
}


# Query strings for operations that need them (the schema answers 422 before the view runs without them).
QUERIES: dict[str, dict[str, str]] = {
    "/api/v1/analytics/outcomes": {"instrument": "nrs", "timepoint": "m6"},
    "/api/v1/analytics/expectation": {"indication": "thumb_cmc_oa"},
}

# Pathway steps whose role check is one of the step's guards (pathway.services.step_refusals): a refused role
# gets 409 with the sentence "A <role> may not <step>." instead of 403 (tests/pathway and tests/aftercare
# assert that design). Listed so a reviewer sees them; every other refusal is a 403.
ROLE_REFUSED_AS_GUARD = {
    ("POST", "/api/v1/episodes/{episode_id}/withdraw"),
    ("POST", "/api/v1/episodes/{episode_id}/repeat-cycle"),
    ("POST", "/api/v1/episodes/{episode_id}/post-care"),  # tests/aftercare/test_post_care.py asserts the 409
}

# Operations on the episode's consent need an episode that has one.
NEEDS_CONSENT = {
    "/api/v1/episodes/{episode_id}/consent/pdf",
    "/api/v1/episodes/{episode_id}/consent/withdraw",
    "/api/v1/episodes/{episode_id}/consent/sign",
    "/api/v1/episodes/{episode_id}/consent/amend",
}


def _today() -> str:
    return date.today().isoformat()


# Request bodies that pass the schema, so that the role check (not the schema) decides a refused role's answer.
def _bodies(world: World) -> dict[str, Callable[[], Any]]:
    return {
        "/api/v1/patients": lambda: {
            "mrn": "Z-MATRIX-1",
            "given_name": "Ann",
            "family_name": "Other",
            "birth_date": "1960-01-01",
            "sex": "female",
            "dominant_hand": "right",
        },
        "/api/v1/episodes": lambda: {
            "patient_id": str(world.patient.pk),
            "indication": "thumb_cmc_oa",
            "side": "right",
            "target_joints": ["CMC1"],
        },
        "/api/v1/patients/{patient_id}/break-glass": lambda: {"reason": "Seen unconscious in our emergency room"},
        "/api/v1/episodes/{episode_id}/withdraw": lambda: {"reason": "Patient moved away"},
        "/api/v1/episodes/{episode_id}/consultation": lambda: {
            "complaint": "Thumb pain",
            "nrs_pain_rest": 2,
            "nrs_pain_load": 6,
        },
        "/api/v1/episodes/{episode_id}/candidacy": lambda: {
            "criteria": criteria_body(),
            "decision": "eligible",
            "password": PASSWORD,
            "rationale": "",
        },
        "/api/v1/episodes/{episode_id}/consent": lambda: CONSENT_BODY,
        "/api/v1/episodes/{episode_id}/consent/withdraw": lambda: {"reason": "Changed their mind"},
        "/api/v1/episodes/{episode_id}/consent/sign": lambda: {"password": PASSWORD},
        "/api/v1/episodes/{episode_id}/consent/amend": lambda: {"discussion_notes": "Asked about pain", "reason": "x"},
        "/api/v1/unlocks": lambda: {
            "record_type": "consent",
            "record_id": str(world.consent.pk),
            "reason": "Wrong notes",
        },
        "/api/v1/episodes/{episode_id}/preparation": lambda: {"checklist": CHECKLIST_ALL},
        "/api/v1/episodes/{episode_id}/harvest": lambda: {
            "source": "bone_marrow",
            "origin": "autologous",
            "volume_ml": 60,
            "harvest_site": "iliac_crest",
            "anaesthesia": "local",
        },
        "/api/v1/episodes/{episode_id}/injection": lambda: {
            "product_code": "X999999000001A",
            "wristband_code": "W",
            "joint": "CMC1",
            "side": "right",
            "guidance": "ultrasound",
            "anaesthetic": "lidocaine 1 % 1 mL",
            "volume_ml": 2,
        },
        "/api/v1/episodes/{episode_id}/post-care": lambda: {
            "monitoring": [],
            "discharged_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
            "instructions_given": True,
        },
        "/api/v1/episodes/{episode_id}/repeat-cycle": lambda: {"reason": "Pain came back"},
        "/api/v1/episodes/{episode_id}/baseline-responses": lambda: {"instrument": "quickdash", "answers": QUICKDASH},
        "/api/v1/episodes/{episode_id}/adverse-events": lambda: {
            "term": "injection_site_pain_flare",
            "onset_date": _today(),
            "grade": 1,
            "serious": False,
            "relatedness": "probable",
        },
        "/api/v1/episodes/{episode_id}/reinterventions": lambda: {"performed_on": _today(), "type": "trapeziectomy"},
        "/api/v1/follow-ups/{follow_up_id}/responses": lambda: {"instrument": "quickdash", "answers": QUICKDASH},
        "/api/v1/follow-ups/{follow_up_id}/measurements": lambda: {
            "instrument": "grip",
            "trials": {"trial1": 20.0, "trial2": 21.0, "trial3": 22.0},
        },
        "/api/v1/follow-ups/{follow_up_id}/complete": lambda: {"reason": "Seen in clinic"},
        "/api/v1/follow-ups/{follow_up_id}/questionnaire-link": lambda: {},
        "/api/v1/responses/{response_id}/amend": lambda: {"answers": QUICKDASH, "reason": "Typo"},
        "/api/v1/adverse-events/{adverse_event_id}/amend": lambda: {"reason": "Resolved", "outcome": "recovering"},
        "/api/v1/safety-alerts/{alert_id}/acknowledge": lambda: {},
        "/api/v1/products/{product_id}/receipt": lambda: {"location": "Fridge 1"},
        "/api/v1/products/{product_id}/processing": lambda: {
            "method": "centrifugation_concentrate",
            "output_volume_ml": 5,
            "total_nucleated_cells": 50_000_000,
            "viability_percent": 90,
        },
        "/api/v1/products/{product_id}/release": lambda: {
            "verifier_username": "lab2.demo",
            "verifier_password": PASSWORD,
            "password": PASSWORD,
        },
        "/api/v1/products/{product_id}/discard": lambda: {"reason": "Bag leaked"},
        "/api/v1/products/{product_id}/sign": lambda: {"meaning": "release verification", "password": PASSWORD},
        "/api/v1/donors": lambda: {
            "code": "D-MATRIX",
            "eligibility": "eligible",
            "eligibility_basis": "NAT and serology negative",
        },
        "/api/v1/appointments": lambda: {
            "episode_id": str(world.episode.pk),
            "kind": "consultation",
            "starts_at": world.booking_time("14:00").isoformat(),
            "clinician_id": str(world.calendar.clinician.pk),
            "room_id": str(world.calendar.consultation_room.pk),
        },
        "/api/v1/appointments/{appointment_id}/reschedule": lambda: {
            "version": 1,
            "starts_at": world.booking_time("15:00").isoformat(),
            "reason": "Patient asked",
        },
        "/api/v1/appointments/{appointment_id}/cancel": lambda: {"reason": "Patient unwell"},
    }


def _path_params(path: str) -> set[str]:
    import re

    return set(re.findall(r"\{(\w+)\}", path))


OPERATIONS = api_operations()


def test_every_api_operation_is_in_the_matrix() -> None:
    missing = [op for op in OPERATIONS if op not in MATRIX]
    assert not missing, f"operations without a row in MATRIX: {missing}"
    assert not set(MATRIX) - set(OPERATIONS), "MATRIX names operations the API no longer has"


def test_every_role_is_known_to_the_matrix() -> None:
    # A new role in roles.py must be placed in every row consciously: each row lists roles out of ALL_ROLES.
    assert set(ALL_ROLES) == {r.value for r in ROLES}
    for op, (_, roles) in MATRIX.items():
        assert set(roles.split()) <= set(ALL_ROLES), op


@pytest.mark.parametrize("op", sorted(MATRIX), ids=lambda op: f"{op[0]} {op[1]}")
def test_the_written_roles_are_those_roles_py_gives_the_permission(op: tuple[str, str]) -> None:
    permission, roles = MATRIX[op]
    wanted = () if permission is None else permission if isinstance(permission, tuple) else (permission,)
    derived = (
        set(ALL_ROLES)
        if permission is None
        else {r.value for r, spec in ROLES.items() if any(p in spec.permissions for p in wanted)}
    )
    assert set(roles.split()) == derived


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=lambda v: v if isinstance(v, str) else None)
def test_role_is_let_through_or_refused_as_the_matrix_says(
    method: str, path: str, role: str, persona: Any, make_patient: Any, make_episode: Any, api: Any
) -> None:
    world = World(persona, make_patient, make_episode)
    ids = world.ids(_path_params(path))
    if path in NEEDS_CONSENT:
        ids["episode_id"] = world.consented_episode.pk
    url = fill(path, ids)
    client = api(role)
    body = _bodies(world)[path]() if method == "POST" else None
    response = client.get(url, **QUERIES.get(path, {})) if body is None else client.post(url, body)
    allowed = role in MATRIX[(method, path)][1].split()
    detail = f"{role}: {method} {path} → {response.status_code} {response.content[:300]!r}"
    if allowed:
        assert response.status_code not in (401, 403, 404) and response.status_code < 500, detail
    elif (method, path) in ROLE_REFUSED_AS_GUARD and response.status_code == 409:
        assert any(" may not " in r for r in response.json()["reasons"]), detail
    else:
        assert response.status_code == 403, detail
