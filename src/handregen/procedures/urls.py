from django.urls import path

from handregen.procedures import views

app_name = "procedures"

urlpatterns = [
    path("episodes/<uuid:episode_id>/harvest/", views.harvest, name="harvest"),
    path("episodes/<uuid:episode_id>/injection/", views.injection, name="injection"),
]
