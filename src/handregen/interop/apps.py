from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "handregen.interop"
    label = "interop"
