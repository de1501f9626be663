from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "openday.messaging"
    label = "messaging"
    verbose_name = "消息与提醒"
