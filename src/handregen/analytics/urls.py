from django.urls import path

from handregen.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("report.pdf", views.report_pdf, name="report-pdf"),
    path("episodes/<uuid:episode_id>/progress.pdf", views.patient_progress_pdf, name="patient-progress-pdf"),
]
