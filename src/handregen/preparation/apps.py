from django.apps import AppConfig


class PreparationConfig(AppConfig):
    name = "handregen.preparation"
    label = "preparation"
