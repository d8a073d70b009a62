from django.urls import path, re_path

from handregen.interop.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient", views.patient_search, name="patient-search"),
    path("Patient/<str:patient_id>/$everything", views.patient_everything, name="patient-everything"),
    path("Patient/<str:patient_id>", views.patient_read, name="patient-read"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)$", views.search_by_patient, name="search-by-patient"),
]
