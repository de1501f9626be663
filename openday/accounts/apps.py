from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openday.accounts"
    label = "accounts"
    verbose_name = "账户"
