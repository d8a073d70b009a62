from django.urls import path

from handregen.preparation import views

app_name = "preparation"

urlpatterns = [
    path("episodes/<uuid:episode_id>/preparation/", views.checklist, name="checklist"),
    path("episodes/<uuid:episode_id>/preparation/instructions/", views.instructions, name="instructions"),
]
