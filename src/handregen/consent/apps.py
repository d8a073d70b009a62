from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "handregen.consent"
    label = "consent"

    def ready(self) -> None:
        from handregen.consent.signing import KIND
        from handregen.signatures.kinds import register

        register(KIND)  # what a signature of this app's record covers (signatures imports no app's models)
