from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "openday.summaries"
    label = "summaries"
    verbose_name = "活动总结与佐证材料"
