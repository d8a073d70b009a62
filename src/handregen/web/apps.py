from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "handregen.web"
    label = "web"

    def ready(self) -> None:
        from handregen import checks  # noqa: F401 - registers the system checks
