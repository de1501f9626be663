from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "openday.portal"
    label = "portal"
    verbose_name = "公众门户"
