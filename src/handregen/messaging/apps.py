from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "handregen.messaging"
    label = "messaging"
