from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "openday.events"
    label = "events"
    verbose_name = "活动与报名"
