from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "openday.evaluation"
    label = "evaluation"
    verbose_name = "绩效考核"
