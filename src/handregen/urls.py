"""URL map: the staff web app, the REST API and a health check."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from handregen.api import api


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


handler500 = "handregen.web.errors.server_error"

urlpatterns = [
    path("api/v1/", api.urls),
    path("fhir/R4/", include("handregen.interop.fhir.urls")),
    path("health", health, name="health"),
    path("", include("handregen.web.urls")),
]
