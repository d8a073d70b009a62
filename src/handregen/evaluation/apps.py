from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "handregen.evaluation"
    label = "evaluation"
