"""Z1 deny by default: every route refuses an anonymous client unless it is on the public allow-list.

The test walks Django's URL resolver (the ninja API's and the FHIR routes included) and the OpenAPI document
(for each API operation's method). A route without sample parameters in `SAMPLE_KWARGS` / `API_SAMPLES`
fails the suite, so a new route is added here consciously.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.routes import API_PREFIX, Route, api_operations, django_routes, fill

U = str(uuid.uuid4())

# Public routes, each with the reason it needs no sign-in. Any answer below 500 is fine for them.
ALLOW_LIST: dict[str, str] = {
    "web:login": "the sign-in page itself",
    "web:logout": "signing out needs no session (POST only; it ends whatever session there is)",
    "health": "load-balancer health check; answers {'status': 'ok'} and nothing else",
    "favicon": "the browser's icon: a redirect to a static file",
    "fhir:metadata": "FHIR CapabilityStatement; must be readable before authenticating (FHIR R4 spec)",
    "fhir:not-found": "any other path under /fhir/R4/: a 404 OperationOutcome, no data",
    "portal:page": "the patient's questionnaire portal; the session holds the link, a wrong one is a 404",
    "portal:land": "the patient's questionnaire link lands here with its token; a wrong token is a 404",
    "portal:step": "one page of the patient's questions; the session holds the link, without one it is a 404",
    "portal:review": "the patient's answers before sending; the session holds the link, without one a 404",
    "portal:done": "the patient's thank-you page; shows nothing without the session's sent link",
    "api:openapi-json": "the OpenAPI document: operation shapes, no data",
    "api:openapi-view": "the OpenAPI docs page: operation shapes, no data",
    "api:api-root": "the API's root (ninja's default 404 for the prefix alone)",
    "scheduling:feed": "a resource's iCalendar feed for staff calendar apps: the revocable secret in the address "
    "is the key; a wrong one is a 404; initials only, no patient identity",
}

# Staff pages and FHIR routes → sample kwargs for `reverse`. UUIDs are random: the point is the door, not the object.
SAMPLE_KWARGS: dict[str, dict[str, Any]] = {
    "fhir:search": {"resource_type": "Observation"},
    "fhir:transaction": {},
    "fhir:patient-everything": {"patient_id": U},
    "fhir:read": {"resource_type": "Patient", "resource_id": U},
    "fhir:export": {},
    "fhir:patient-export": {},
    "fhir:group-export": {"group": "site-demo"},
    "fhir:export-status": {"job_id": U},
    "fhir:export-file": {"job_id": U, "resource_type": "Patient"},
    "analytics:dashboard": {},
    "analytics:report-pdf": {},
    "analytics:patient-progress-pdf": {"episode_id": U},
    "aftercare:post-care": {"episode_id": U},
    "aftercare:sheet": {"episode_id": U},
    "aftercare:repeat-cycle": {"episode_id": U},
    "outcomes:worklist": {},
    "outcomes:follow-up": {"follow_up_id": U},
    "outcomes:entry": {"follow_up_id": U, "instrument": "quickdash"},
    "outcomes:episode-follow-ups": {"episode_id": U},
    "outcomes:baseline-entry": {"episode_id": U, "instrument": "quickdash"},
    "outcomes:baseline-link": {"episode_id": U},
    "safety:episode-events": {"episode_id": U},
    "safety:event-new": {"episode_id": U},
    "safety:reintervention-new": {"episode_id": U},
    "safety:alerts": {},
    "safety:alert": {"alert_id": U},
    "safety:event": {"adverse_event_id": U},
    "cellproducts:lab": {},
    "cellproducts:product": {"product_id": U},
    "cellproducts:receive": {"product_id": U},
    "cellproducts:processing": {"product_id": U},
    "cellproducts:release": {"product_id": U},
    "cellproducts:discard": {"product_id": U},
    "cellproducts:label": {"product_id": U},
    "cellproducts:episode-product": {"episode_id": U},
    "cellproducts:wristband": {"patient_id": U},
    "procedures:harvest": {"episode_id": U},
    "procedures:injection": {"episode_id": U},
    "evaluation:consultation": {"episode_id": U},
    "evaluation:candidacy": {"episode_id": U},
    "consent:consent": {"episode_id": U},
    "consent:withdraw": {"episode_id": U},
    "consent:sign": {"episode_id": U},
    "consent:pdf": {"episode_id": U},
    "preparation:checklist": {"episode_id": U},
    "preparation:instructions": {"episode_id": U},
    "web:home": {},
    "web:staff-health": {},
    "web:worklist": {"code": "referred"},
    "web:patients": {},
    "web:patient-new": {},
    "web:patient": {"patient_id": U},
    "web:break-glass": {"patient_id": U},
    "web:patient-correct": {"patient_id": U},
    "web:break-glass-report": {},
    "web:episode": {"episode_id": U},
    "web:episode-withdraw": {"episode_id": U},
    "web:password-change": {},
    "web:tokens": {},
    "web:mfa-setup": {},
    "web:mfa-verify": {},
    # public ones still need parameters to be requested
    "web:login": {},
    "web:logout": {},
    "health": {},
    "favicon": {},
    "fhir:metadata": {},
    "fhir:not-found": {"rest": "Nothing/here/at/all"},
    "portal:page": {},
    "portal:land": {"token": "x" * 43},
    "portal:step": {"number": 1},
    "portal:review": {},
    "portal:done": {},
    "fhir-scheduling:appointment-search": {},
    "fhir-scheduling:appointment-read": {"appointment_id": U},
    "fhir-scheduling:schedule-search": {},
    "fhir-scheduling:schedule-read": {"schedule_id": U},
    "fhir-scheduling:slot-search": {},
    "fhir-scheduling:slot-read": {"slot_id": "1"},
    "scheduling:home": {},
    "scheduling:setup": {},
    "scheduling:counts": {},
    "scheduling:day": {"resource_id": U},
    "scheduling:week": {"resource_id": U},
    "scheduling:feed": {"resource_id": U, "token": "x" * 32},
    "scheduling:episode": {"episode_id": U},
    "scheduling:appointment": {"appointment_id": U},
    "api:openapi-json": {},
    "api:openapi-view": {},
    "api:api-root": {},
}

# API operations (METHOD, OpenAPI path) → sample path parameters.
E, P, PR, F = {"episode_id": U}, {"patient_id": U}, {"product_id": U}, {"follow_up_id": U}
API_SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/adverse-events/{adverse_event_id}"): {"adverse_event_id": U},
    ("GET", "/api/v1/analytics/expectation"): {},
    ("GET", "/api/v1/audit/break-glass"): {},
    ("GET", "/api/v1/audit/events"): {},
    ("POST", "/api/v1/patients/{patient_id}/break-glass"): P,
    ("GET", "/api/v1/analytics/outcomes"): {},
    ("GET", "/api/v1/consent-documents/{version}"): {"version": "2026.1"},
    ("GET", "/api/v1/donors/{donor_id}"): {"donor_id": U},
    ("GET", "/api/v1/episodes/{episode_id}"): E,
    ("GET", "/api/v1/episodes/{episode_id}/adverse-events"): E,
    ("GET", "/api/v1/episodes/{episode_id}/aftercare-instructions"): E,
    ("GET", "/api/v1/episodes/{episode_id}/consent"): E,
    ("GET", "/api/v1/episodes/{episode_id}/consent/pdf"): E,
    ("GET", "/api/v1/episodes/{episode_id}/evaluation"): E,
    ("GET", "/api/v1/episodes/{episode_id}/follow-ups"): E,
    ("GET", "/api/v1/episodes/{episode_id}/post-care"): E,
    ("GET", "/api/v1/episodes/{episode_id}/preparation"): E,
    ("GET", "/api/v1/episodes/{episode_id}/reinterventions"): E,
    ("GET", "/api/v1/episodes/{episode_id}/timeline"): E,
    ("GET", "/api/v1/follow-ups"): {},
    ("GET", "/api/v1/follow-ups/{follow_up_id}"): F,
    ("GET", "/api/v1/follow-ups/{follow_up_id}/responses"): F,
    ("GET", "/api/v1/patients"): {},
    ("GET", "/api/v1/patients/{patient_id}"): P,
    ("GET", "/api/v1/patients/{patient_id}/wristband.pdf"): P,
    ("GET", "/api/v1/products"): {},
    ("GET", "/api/v1/products/{product_id}"): PR,
    ("GET", "/api/v1/products/{product_id}/label.pdf"): PR,
    ("GET", "/api/v1/protocols/{code}"): {"code": "hand-oa-cell"},
    ("GET", "/api/v1/responses/{response_id}"): {"response_id": U},
    ("GET", "/api/v1/safety-alerts"): {},
    ("POST", "/api/v1/adverse-events/{adverse_event_id}/amend"): {"adverse_event_id": U},
    ("POST", "/api/v1/donors"): {},
    ("POST", "/api/v1/episodes"): {},
    ("POST", "/api/v1/episodes/{episode_id}/adverse-events"): E,
    ("POST", "/api/v1/episodes/{episode_id}/baseline-responses"): E,
    ("POST", "/api/v1/episodes/{episode_id}/candidacy"): E,
    ("POST", "/api/v1/episodes/{episode_id}/consent"): E,
    ("POST", "/api/v1/episodes/{episode_id}/consent/withdraw"): E,
    ("POST", "/api/v1/episodes/{episode_id}/consent/sign"): E,
    ("POST", "/api/v1/episodes/{episode_id}/consent/amend"): E,
    ("POST", "/api/v1/episodes/{episode_id}/consultation"): E,
    ("POST", "/api/v1/episodes/{episode_id}/harvest"): E,
    ("POST", "/api/v1/episodes/{episode_id}/injection"): E,
    ("POST", "/api/v1/episodes/{episode_id}/post-care"): E,
    ("POST", "/api/v1/episodes/{episode_id}/preparation"): E,
    ("POST", "/api/v1/episodes/{episode_id}/reinterventions"): E,
    ("POST", "/api/v1/episodes/{episode_id}/repeat-cycle"): E,
    ("POST", "/api/v1/episodes/{episode_id}/withdraw"): E,
    ("POST", "/api/v1/follow-ups/{follow_up_id}/complete"): F,
    ("POST", "/api/v1/follow-ups/{follow_up_id}/measurements"): F,
    ("POST", "/api/v1/follow-ups/{follow_up_id}/questionnaire-link"): F,
    ("POST", "/api/v1/follow-ups/{follow_up_id}/responses"): F,
    ("POST", "/api/v1/patients"): {},
    ("POST", "/api/v1/products/{product_id}/discard"): PR,
    ("POST", "/api/v1/products/{product_id}/processing"): PR,
    ("POST", "/api/v1/products/{product_id}/receipt"): PR,
    ("POST", "/api/v1/products/{product_id}/release"): PR,
    ("POST", "/api/v1/products/{product_id}/sign"): PR,
    ("POST", "/api/v1/responses/{response_id}/amend"): {"response_id": U},
    ("POST", "/api/v1/safety-alerts/{alert_id}/acknowledge"): {"alert_id": U},
    ("POST", "/api/v1/unlocks"): {},
    ("GET", "/api/v1/appointments"): {},
    ("POST", "/api/v1/appointments"): {},
    ("GET", "/api/v1/appointments/{appointment_id}"): {"appointment_id": U},
    ("POST", "/api/v1/appointments/{appointment_id}/reschedule"): {"appointment_id": U},
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): {"appointment_id": U},
}

ROUTES = django_routes()
FHIR_NAMESPACES = ("fhir:", "fhir-scheduling:")  # interop's FHIR routes and the calendar's (Appointment, Slot)
OPERATIONS = api_operations()


def _is_api(route: Route) -> bool:
    return route.pattern.startswith("api/v1/")


def _api_template(route: Route) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.pattern)


def test_every_route_has_sample_parameters() -> None:
    missing = [r.name or r.pattern for r in ROUTES if not _is_api(r) and r.name not in SAMPLE_KWARGS]
    assert not missing, f"routes without sample parameters in SAMPLE_KWARGS (add them consciously): {missing}"


def test_every_api_route_is_an_operation_with_samples() -> None:
    paths = {path for _, path in OPERATIONS}
    strays = [r.name for r in ROUTES if _is_api(r) and r.name not in ALLOW_LIST and _api_template(r) not in paths]
    assert not strays, f"API routes that are not operations of the OpenAPI document: {strays}"
    missing = [op for op in OPERATIONS if op not in API_SAMPLES]
    assert not missing, f"API operations without sample parameters in API_SAMPLES: {missing}"


def test_the_tables_name_no_route_that_is_gone() -> None:
    names = {r.name for r in ROUTES}
    assert not set(SAMPLE_KWARGS) - names
    assert not set(ALLOW_LIST) - names
    assert not set(API_SAMPLES) - set(OPERATIONS)


def _page_cases() -> list[Any]:
    # The FHIR API is read-only (its views are GET-only, a POST is a 405 before any look-up); pages get both.
    return [
        pytest.param(r.name, method, id=f"{method} {r.name}")
        for r in ROUTES
        if not _is_api(r) and r.name in SAMPLE_KWARGS
        for method in (("get",) if r.name.startswith(FHIR_NAMESPACES) else ("get", "post"))
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), _page_cases())
def test_anonymous_client_is_sent_to_sign_in_or_refused(name: str, method: str) -> None:
    url = reverse(name, kwargs=SAMPLE_KWARGS[name])
    response = getattr(Client(), method)(url)
    if name in ALLOW_LIST:
        assert response.status_code < 500, f"public route {name} failed with {response.status_code}"
        return
    if name.startswith(FHIR_NAMESPACES):
        assert response.status_code in (401, 403), f"{method.upper()} {url} answered {response.status_code}"
        return
    assert response.status_code == 302, f"{method.upper()} {url} answered {response.status_code}"
    assert response["Location"].startswith(reverse("web:login")), f"{url} redirected to {response['Location']}"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p in OPERATIONS])
def test_anonymous_api_call_is_unauthorised(method: str, path: str) -> None:
    url = fill(path, API_SAMPLES[(method, path)])
    response = Client().generic(method, url, "{}", content_type="application/json")
    assert response.status_code in (401, 403), f"{method} {url} answered {response.status_code}"
    assert API_PREFIX in url


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p in OPERATIONS])
def test_a_wrong_bearer_token_is_unauthorised(method: str, path: str) -> None:
    url = fill(path, API_SAMPLES[(method, path)])
    response = Client().generic(
        method, url, "{}", content_type="application/json", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401
