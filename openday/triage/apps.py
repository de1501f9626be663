from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "openday.triage"
    label = "triage"
    verbose_name = "意见分拣"
