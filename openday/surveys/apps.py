from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "openday.surveys"
    label = "surveys"
    verbose_name = "调查问卷"
