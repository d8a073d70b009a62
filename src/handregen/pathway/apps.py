from django.apps import AppConfig


class PathwayConfig(AppConfig):
    name = "handregen.pathway"
    label = "pathway"
