from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "openday.publicity"
    label = "publicity"
    verbose_name = "宣传报道"
