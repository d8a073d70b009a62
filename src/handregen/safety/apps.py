from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "handregen.safety"
    label = "safety"
