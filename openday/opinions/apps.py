from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "openday.opinions"
    label = "opinions"
    verbose_name = "意见建议"
