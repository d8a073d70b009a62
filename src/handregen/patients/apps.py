from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "handregen.patients"
    label = "patients"
