from django.urls import path

from handregen.aftercare import views

app_name = "aftercare"

urlpatterns = [
    path("episodes/<uuid:episode_id>/post-care/", views.post_care, name="post-care"),
    path("episodes/<uuid:episode_id>/aftercare-sheet/", views.sheet, name="sheet"),
    path("episodes/<uuid:episode_id>/repeat-cycle/", views.repeat_cycle, name="repeat-cycle"),
]
