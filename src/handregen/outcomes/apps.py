from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "handregen.outcomes"
    label = "outcomes"
