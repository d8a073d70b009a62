from django.urls import path

from handregen.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("episodes/<uuid:episode_id>/consultation/", views.consultation, name="consultation"),
    path("episodes/<uuid:episode_id>/candidacy/", views.candidacy, name="candidacy"),
]
