from django.urls import path

from handregen.safety import event_views, views

app_name = "safety"

urlpatterns = [
    path("episodes/<uuid:episode_id>/adverse-events/", views.episode_events, name="episode-events"),
    path("episodes/<uuid:episode_id>/adverse-events/new/", views.event_new, name="event-new"),
    path("episodes/<uuid:episode_id>/reinterventions/new/", views.reintervention_new, name="reintervention-new"),
    path("adverse-events/<uuid:adverse_event_id>/", event_views.event, name="event"),
    path("safety/alerts/", views.alerts, name="alerts"),
    path("safety/alerts/<uuid:alert_id>/", views.alert, name="alert"),
]
