"""FHIR routes of the calendar, mounted under /fhir/R4/ before interop's generic search route."""

from django.urls import path

from handregen.scheduling import fhir

app_name = "fhir-scheduling"

urlpatterns = [
    path("Appointment", fhir.appointment_search, name="appointment-search"),
    path("Appointment/<str:appointment_id>", fhir.appointment_read, name="appointment-read"),
    path("Schedule", fhir.schedule_search, name="schedule-search"),
    path("Schedule/<str:schedule_id>", fhir.schedule_read, name="schedule-read"),
    path("Slot", fhir.slot_search, name="slot-search"),
    path("Slot/<str:slot_id>", fhir.slot_read, name="slot-read"),
]
