"""URL map: the staff web app, the REST API and a health check."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from handregen.api import api


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


handler500 = "handregen.web.errors.server_error"

urlpatterns = [
    path("api/v1/", api.urls),
    path("fhir/R4/", include("handregen.scheduling.fhir_urls")),  # Appointment, Schedule, Slot (before the generic)
    path("fhir/R4/", include("handregen.interop.fhir.urls")),
    path("analytics/", include("handregen.analytics.urls")),
    path("health", health, name="health"),
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
