from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "handregen.accounts"
    label = "accounts"
    verbose_name = "Sites, staff and roles"
