"""The patient's questionnaire pages (no sign-in): /q/<token> lands, /q/ resumes, /q/p/<n>/ is one page,
/q/review/ shows every answer before sending, /q/done/ thanks."""

from django.urls import path

from handregen.outcomes import portal_views

app_name = "portal"

urlpatterns = [
    path("q/", portal_views.page, name="page"),
    path("q/p/<int:number>/", portal_views.step, name="step"),
    path("q/review/", portal_views.review, name="review"),
    path("q/done/", portal_views.done, name="done"),
    path("q/<str:token>", portal_views.land, name="land"),
]
