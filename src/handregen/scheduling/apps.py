from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "handregen.scheduling"
    label = "scheduling"
    verbose_name = "Appointments"
