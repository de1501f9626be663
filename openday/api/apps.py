from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "openday.api"
    label = "api"
    verbose_name = "接口"
