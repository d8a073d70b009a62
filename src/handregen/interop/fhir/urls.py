from django.urls import path, re_path

from handregen.interop.fhir import bulk_views, views

app_name = "fhir"

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]+)"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    path("", views.transaction, name="transaction"),
    path("metadata", views.metadata, name="metadata"),
    path("$export", bulk_views.system_export, name="export"),
    path("Patient/$export", bulk_views.patient_export, name="patient-export"),
    path("Group/<str:group>/$export", bulk_views.group_export, name="group-export"),
    path("bulk/<str:job_id>", bulk_views.export_status, name="export-status"),
    re_path(
        r"^bulk/(?P<job_id>[0-9a-f-]{36})/(?P<resource_type>[A-Za-z]+)\.ndjson$",
        bulk_views.export_file,
        name="export-file",
    ),
    path("Patient/<str:patient_id>/$everything", views.patient_everything, name="patient-everything"),
    re_path(rf"^{TYPE}/{ID}$", views.resource_read, name="read"),
    re_path(rf"^{TYPE}$", views.type_search, name="search"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not-found"),
]
