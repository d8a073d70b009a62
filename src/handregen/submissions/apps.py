from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "handregen.submissions"
    label = "submissions"
    verbose_name = "Submissions recorded once (form tokens, idempotency keys)"
