from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "openday.control"
    label = "control"
    verbose_name = "工作台"

    def ready(self):
        # <id:…> and <year:…> in every URLconf; registered before the first one is read.
        from openday.lib.params import register_converters

        register_converters()
