"""URL map: the staff web app, the REST API and a health check."""

from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import include, path

from handregen.api import api
from handregen.jobs.health import health as health_state


def health(request: HttpRequest) -> JsonResponse:
    """For the load balancer and monitoring: 200 when the database answers and the job queue is worked, else 503."""
    status, body = health_state()
    return JsonResponse(body, status=status)


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page says; send them to the icon (its hashed name when collected)."""
    response = HttpResponseRedirect(static("web/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


handler400 = "handregen.web.errors.bad_request"
handler403 = "handregen.web.errors.forbidden"
handler404 = "handregen.web.errors.not_found"
handler500 = "handregen.web.errors.server_error"

urlpatterns = [
    path("api/v1/", api.urls),
    path("fhir/R4/", include("handregen.scheduling.fhir_urls")),  # Appointment, Schedule, Slot (before the generic)
    path("fhir/R4/", include("handregen.interop.fhir.urls")),
    path("analytics/", include("handregen.analytics.urls")),
    path("health", health, name="health"),
    path("favicon.ico", favicon, name="favicon"),
    path("", include("handregen.outcomes.portal_urls")),  # patients' questionnaire links (no sign-in)
    path("", include("handregen.aftercare.urls")),
    path("", include("handregen.outcomes.urls")),
    path("", include("handregen.safety.urls")),
    path("", include("handregen.cellproducts.urls")),  # cell lab, product labels, wristbands
    path("", include("handregen.procedures.urls")),  # harvest and bedside-verified injection
    path("", include("handregen.evaluation.urls")),  # consultation and candidacy
    path("", include("handregen.consent.urls")),  # consent, signature, withdrawal, PDF
    path("", include("handregen.preparation.urls")),  # preparation instructions and day-of checklist
    path("", include("handregen.scheduling.urls")),  # appointments, day lists, calendar feeds
    path("", include("handregen.web.urls")),
]
