"""The REST API v1: one NinjaAPI, routers from each app, problem+json errors (DESIGN.md §9)."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from handregen.accounts.actor import Actor
from handregen.accounts.selectors import actor_for_token
from handregen.aftercare.api import router as aftercare
from handregen.analytics.api import router as analytics
from handregen.audit.api import router as audit
from handregen.cellproducts.api import donors, products, wristbands
from handregen.consent.api import documents as consent_documents
from handregen.consent.api import router as consent
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound, RecordProtected
from handregen.evaluation.api import router as evaluation
from handregen.openapi_links import add_links
from handregen.openapi_problems import add_problem_responses
from handregen.outcomes.api import episode_router as episode_outcomes
from handregen.outcomes.api import follow_up_router, response_router
from handregen.pathway.api import episodes, protocols
from handregen.patients.api import router as patients
from handregen.preparation.api import router as preparation
from handregen.problem import problem
from handregen.procedures.api import router as procedures
from handregen.safety.api import adverse_event_router, alert_router
from handregen.safety.api import episode_router as episode_safety
from handregen.scheduling.api import router as appointments
from handregen.signatures.api import router as unlocks
from handregen.versions import StaleVersion

log = logging.getLogger("handregen.errors")


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return actor_for_token(token)


class HandregenAPI(NinjaAPI):
    """The API whose OpenAPI document also lists each operation's problem+json refusals and its links."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return add_links(add_problem_responses(schema))


api = HandregenAPI(
    title="handregen API",
    version="1",
    description="Clinic pathway, chain of identity and outcomes for cell-based therapy of hand pain.",
    urls_namespace="api",
    auth=BearerToken(),
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def _field_name(loc: list[Any]) -> str:
    # Ninja reports locations like ["body", "payload", "birth_date"]; keep the part a client wrote.
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def _invalid_schema(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [{"field": _field_name(list(e.get("loc", []))), "message": e.get("msg", "invalid")} for e in exc.errors]
    return problem(request, 422, "Invalid input", "Some fields are missing or invalid.", errors=errors)


@api.exception_handler(InvalidInput)
def _invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    errors = [{"field": f, "message": m} for f, m in exc.errors]
    return problem(request, 422, "Invalid input", "Some fields are missing or invalid.", errors=errors)


@api.exception_handler(GuardRefused)
def _refused(request: HttpRequest, exc: GuardRefused) -> HttpResponse:
    if isinstance(exc, StaleVersion):  # both versions: what is saved now (here) and what the client sent
        return problem(
            request,
            409,
            "Refused",
            "The record changed since you loaded it; see reasons.",
            reasons=exc.reasons,
            current_version=exc.current_version,
            current=exc.current,
        )
    return problem(request, 409, "Refused", "The step was refused; see reasons.", reasons=exc.reasons)


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return problem(request, 404, "Not found", "No such record here.")


@api.exception_handler(Http404)
def _http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, "Not found", "No such record here.")


@api.exception_handler(Forbidden)
def _forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return problem(request, 403, "Forbidden", str(exc))


@api.exception_handler(RecordProtected)
def _protected(request: HttpRequest, exc: RecordProtected) -> HttpResponse:
    return problem(request, 409, "Refused", str(exc), reasons=[str(exc)])


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(request, 401, "Unauthorized", "Send a valid bearer token.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, "Error", str(exc))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    correlation = getattr(request, "correlation_id", "-")
    log.error("unhandled %s in the API [correlation %s]", type(exc).__name__, correlation)
    return problem(request, 500, "Server error", f"Something went wrong; reference {correlation}.")


# Each app's router; they take the actor from handregen.accounts.actor, so nothing imports this module back.
api.add_router("/protocols", protocols)
api.add_router("/patients", patients)
api.add_router("/episodes", episodes)
api.add_router("/analytics", analytics)
# Consultation, candidacy, consent and preparation.
api.add_router("/episodes", evaluation)
api.add_router("/episodes", consent)
api.add_router("/episodes", preparation)
api.add_router("/consent-documents", consent_documents)
# Harvest, products, labels and injection: the chain of identity.
api.add_router("/episodes", procedures)
api.add_router("/products", products)
api.add_router("/donors", donors)
api.add_router("/patients", wristbands)
# Post-care, follow-ups and safety: several routers share the /episodes prefix.
api.add_router("/episodes", aftercare)
api.add_router("/episodes", episode_outcomes)
api.add_router("/episodes", episode_safety)
api.add_router("/follow-ups", follow_up_router)
api.add_router("/responses", response_router)
api.add_router("/adverse-events", adverse_event_router)
api.add_router("/safety-alerts", alert_router)
api.add_router("/audit", audit)
api.add_router("/unlocks", unlocks)
api.add_router("/appointments", appointments)
