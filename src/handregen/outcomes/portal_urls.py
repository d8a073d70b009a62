"""The patient's questionnaire pages (no sign-in): /q/<token> lands, /q/ shows and takes the answers."""

from django.urls import path

from handregen.outcomes import portal_views

app_name = "portal"

urlpatterns = [
    path("q/", portal_views.page, name="page"),
    path("q/<str:token>", portal_views.land, name="land"),
]
