from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "handregen.evaluation"
    label = "evaluation"

    def ready(self) -> None:
        from handregen.evaluation.signing import KIND
        from handregen.signatures.kinds import register

        register(KIND)  # what a signature of this app's record covers (signatures imports no app's models)
