from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "handregen.operations"
    label = "operations"
    verbose_name = "Operations"
