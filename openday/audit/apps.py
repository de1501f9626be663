from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "openday.audit"
    label = "audit"
    verbose_name = "审计日志"
