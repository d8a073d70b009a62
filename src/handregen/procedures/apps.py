from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "handregen.procedures"
    label = "procedures"
