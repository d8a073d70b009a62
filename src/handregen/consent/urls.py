from django.urls import path

from handregen.consent import views

app_name = "consent"

urlpatterns = [
    path("episodes/<uuid:episode_id>/consent/", views.consent, name="consent"),
    path("episodes/<uuid:episode_id>/consent/sign/", views.sign, name="sign"),
    path("episodes/<uuid:episode_id>/consent/withdraw/", views.withdraw, name="withdraw"),
    path("episodes/<uuid:episode_id>/consent/pdf/", views.pdf, name="pdf"),
]
