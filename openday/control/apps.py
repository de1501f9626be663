from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "openday.control"
    label = "control"
    verbose_name = "工作台"
