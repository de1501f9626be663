from django.urls import path

from . import column_views, event_views, opinion_views, survey_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("care/", views.toggle_care, name="toggle_care"),
    path("events/", event_views.event_list, name="event_list"),
    path("events/<id:event_id>/", event_views.event_detail, name="event_detail"),
    path("tickets/<str:ticket_code>/", event_views.ticket, name="ticket"),
    path(
        "invitations/<str:code>/decline/", event_views.invitation_decline, name="invitation_decline"
    ),
    path("tickets/<str:ticket_code>/cancel/", event_views.ticket_cancel, name="ticket_cancel"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/<id:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<id:campaign_id>/logo", views.campaign_logo, name="campaign_logo"),
    path("surveys/", survey_views.survey_list, name="survey_list"),
    path("surveys/<id:survey_id>/", survey_views.survey_answer, name="survey_answer"),
    path("surveys/<id:survey_id>/done/", survey_views.survey_done, name="survey_done"),
    path("opinions/new/", opinion_views.opinion_new, name="opinion_new"),
    path("opinions/new/done/", opinion_views.opinion_done, name="opinion_done"),
    path("opinions/status/", opinion_views.opinion_status, name="opinion_status"),
    path("opinions/board/", opinion_views.opinion_board, name="opinion_board"),
    path("opinions/board/print/", opinion_views.opinion_bulletin, name="opinion_bulletin"),
]
urlpatterns += column_views.urlpatterns
