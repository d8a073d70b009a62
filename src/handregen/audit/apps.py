from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "handregen.audit"
    label = "audit"
