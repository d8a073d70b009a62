from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "handregen.signatures"
    label = "signatures"
