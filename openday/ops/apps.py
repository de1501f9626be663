from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Unattended operations: housekeeping runs, the worker's loops, backups, the status page."""

    name = "openday.ops"
    label = "ops"
    verbose_name = "运行维护"

    def ready(self) -> None:
        # Every log record of this process is masked when made (docs/operator.md, log hygiene).
        from openday.lib import log_masking

        log_masking.install()
