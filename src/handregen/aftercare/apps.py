from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "handregen.aftercare"
    label = "aftercare"
