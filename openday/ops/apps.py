from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Unattended operations: housekeeping runs, the worker's loops, backups, the status page."""

    name = "openday.ops"
    label = "ops"
    verbose_name = "运行维护"
