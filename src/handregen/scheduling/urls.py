from django.urls import path

from handregen.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("schedule/", views.home, name="home"),
    path("schedule/setup/", views.setup, name="setup"),
    path("schedule/counts/", views.counts_page, name="counts"),
    path("schedule/resources/<uuid:resource_id>/day/", views.day_list, name="day"),
    path("schedule/resources/<uuid:resource_id>/week/", views.week, name="week"),
    # Staff calendar apps fetch this without a session: the secret in the address is the key (revocable).
    path("schedule/feed/<uuid:resource_id>/<str:token>.ics", views.feed, name="feed"),
    path("episodes/<uuid:episode_id>/appointments/", views.episode_appointments, name="episode"),
    path("appointments/<uuid:appointment_id>/", views.appointment, name="appointment"),
]
