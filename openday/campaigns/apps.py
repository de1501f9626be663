from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "openday.campaigns"
    label = "campaigns"
    verbose_name = "年度活动与计划"
