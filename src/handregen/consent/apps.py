from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "handregen.consent"
    label = "consent"
