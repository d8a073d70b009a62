from django.urls import path

from handregen.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("follow-ups/", views.worklist, name="worklist"),
    path("follow-ups/<uuid:follow_up_id>/", views.follow_up, name="follow-up"),
    path("follow-ups/<uuid:follow_up_id>/enter/<slug:instrument>/", views.entry, name="entry"),
    path("episodes/<uuid:episode_id>/follow-ups/", views.episode_follow_ups, name="episode-follow-ups"),
    path("episodes/<uuid:episode_id>/baseline/link/", views.baseline_link, name="baseline-link"),
    path("episodes/<uuid:episode_id>/baseline/<slug:instrument>/", views.baseline_entry, name="baseline-entry"),
]
