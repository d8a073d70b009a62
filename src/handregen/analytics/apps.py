from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "handregen.analytics"
    label = "analytics"
