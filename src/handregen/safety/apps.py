from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "handregen.safety"
    label = "safety"

    def ready(self) -> None:
        from handregen.safety.signing import KIND
        from handregen.signatures.kinds import register

        register(KIND)  # what a signature of this app's record covers (signatures imports no app's models)
