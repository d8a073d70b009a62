from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "handregen.web"
    label = "web"
