from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "openday.portal"
    label = "portal"
    verbose_name = "公众门户"

    def ready(self) -> None:
        # The page cache's versions follow the public models' saves (openday/lib/pagecache.py).
        from openday.lib import pagecache

        pagecache.connect()
