from django.contrib.auth import views as auth_views
from django.urls import path

from handregen.web import mfa_views, token_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/staff", views.staff_health, name="staff-health"),
    path("worklists/<slug:code>/", views.worklist, name="worklist"),
    path("patients/", views.patients, name="patients"),
    path("patients/new/", views.patient_new, name="patient-new"),
    path("patients/<uuid:patient_id>/", views.patient, name="patient"),
    path("patients/<uuid:patient_id>/break-glass/", views.break_glass, name="break-glass"),
    path("patients/<uuid:patient_id>/correct/", views.patient_correct, name="patient-correct"),
    path("audit/break-glass/", views.break_glass_report_page, name="break-glass-report"),
    path("episodes/<uuid:episode_id>/", views.episode, name="episode"),
    path("episodes/<uuid:episode_id>/withdraw/", views.episode_withdraw_page, name="episode-withdraw"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.password_change, name="password-change"),
    path("account/tokens/", token_views.tokens_page, name="tokens"),
    path("account/two-factor/setup/", mfa_views.mfa_setup, name="mfa-setup"),
    path("account/two-factor/", mfa_views.mfa_verify_page, name="mfa-verify"),
]
