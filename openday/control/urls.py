from django.urls import path, re_path

from . import (
    account_views,
    evaluation_views,
    ops_views,
    org_views,
    publicity_views,
    summary_views,
    triage_views,
)
from . import campaign_views as cv
from . import event_views as ev
from . import opinion_figure_views as ofv
from . import opinion_views as ov
from . import survey_views as sv
from . import workday_views as wv

app_name = "control"
urlpatterns = [
    path("", account_views.dashboard, name="dashboard"),
    path("login/", account_views.login_view, name="login"),
    path("login/verify/", account_views.login_verify, name="login_verify"),
    path("logout/", account_views.logout_view, name="logout"),
    path("account/", account_views.account, name="account"),
    path("account/password/", account_views.password_change, name="password_change"),
    path("account/two-factor/", account_views.two_factor_enrol, name="two_factor_enrol"),
    path("account/tokens/<id:token_id>/revoke/", account_views.token_revoke, name="token_revoke"),
    path("orgs/", org_views.org_list, name="org_list"),
    path("orgs/new/", org_views.org_create, name="org_create"),
    path("orgs/export.xlsx", org_views.org_export, name="org_export"),
    path("orgs/import/", org_views.org_import, name="org_import"),
    path("orgs/import/template.xlsx", org_views.org_import_template, name="org_import_template"),
    path("orgs/<id:org_id>/", org_views.org_detail, name="org_detail"),
    path("orgs/<id:org_id>/edit/", org_views.org_edit, name="org_edit"),
    path("orgs/<id:org_id>/members/add/", org_views.member_add, name="member_add"),
    path("memberships/<id:membership_id>/edit/", org_views.membership_edit, name="membership_edit"),
    path(
        "memberships/<id:membership_id>/remove/",
        org_views.membership_remove,
        name="membership_remove",
    ),
    path("users/<id:user_id>/", org_views.user_detail, name="user_detail"),
    path("users/<id:user_id>/<slug:action>/", org_views.user_action, name="user_action"),
    path("regions/", org_views.region_list, name="region_list"),
    path("regions/new/", org_views.region_form, name="region_create"),
    path("regions/<id:region_id>/edit/", org_views.region_form, name="region_edit"),
    path("audit/", account_views.audit_log, name="audit_log"),
    path("campaigns/", cv.campaign_list, name="campaign_list"),
    path("campaigns/new/", cv.campaign_create, name="campaign_create"),
    path("campaigns/<id:campaign_id>/", cv.campaign_detail, name="campaign_detail"),
    path("campaigns/<id:campaign_id>/edit/", cv.campaign_edit, name="campaign_edit"),
    path("campaigns/<id:campaign_id>/issue/", cv.campaign_issue, name="campaign_issue"),
    path("campaigns/<id:campaign_id>/logo/", cv.campaign_logo, name="campaign_logo"),
    path(
        "campaigns/<id:campaign_id>/notice.docx",
        cv.campaign_notice_docx,
        name="campaign_notice_docx",
    ),
    path("campaigns/<id:campaign_id>/board/", cv.campaign_board, name="campaign_board"),
    path("campaigns/<id:campaign_id>/remind/", cv.campaign_remind, name="campaign_remind"),
    path("campaigns/<id:campaign_id>/import/", cv.campaign_import, name="campaign_import"),
    path("campaigns/<id:campaign_id>/plan/", cv.campaign_plan, name="campaign_plan"),
    path("campaigns/<id:campaign_id>/plan.xlsx", cv.campaign_plan_xlsx, name="campaign_plan_xlsx"),
    path("campaigns/<id:campaign_id>/plan.docx", cv.campaign_plan_docx, name="campaign_plan_docx"),
    path(
        "campaigns/<id:campaign_id>/declare/<id:unit_id>/",
        cv.declaration_edit,
        name="declaration_edit",
    ),
    path(
        "campaigns/<id:campaign_id>/declare/<id:unit_id>/template.xlsx",
        cv.declaration_template,
        name="declaration_template",
    ),
    path("declarations/<id:declaration_id>/", cv.declaration_review, name="declaration_review"),
    path("events/", ev.event_list, name="event_list"),
    path("events/new/", ev.event_create, name="event_create"),
    path("events/<id:event_id>/", ev.event_detail, name="event_detail"),
    path("events/<id:event_id>/edit/", ev.event_edit, name="event_edit"),
    path("events/<id:event_id>/checkin/", ev.event_checkin, name="event_checkin"),
    path("events/<id:event_id>/checkin.json", ev.event_checkin_json, name="event_checkin_json"),
    path("events/<id:event_id>/invitations/", ev.event_invitations, name="event_invitations"),
    re_path(
        r"^events/(?P<event_id>[0-9]{1,19})/(?P<kind>signin\.xlsx|signin\.docx|cards\.docx|banner\.svg)$",
        ev.event_paper,
        name="event_paper",
    ),
    path("events/<id:event_id>/<slug:action>/", ev.event_action, name="event_action"),
    path("surveys/", sv.survey_list, name="survey_list"),
    path("surveys/new/", sv.survey_create, name="survey_create"),
    path("surveys/<id:survey_id>/", sv.survey_detail, name="survey_detail"),
    path("surveys/<id:survey_id>/edit/", sv.survey_edit, name="survey_edit"),
    path("surveys/<id:survey_id>/questions/new/", sv.question_form, name="question_add"),
    path(
        "surveys/<id:survey_id>/questions/<id:question_id>/",
        sv.question_form,
        name="question_edit",
    ),
    path(
        "surveys/<id:survey_id>/questions/<id:question_id>/<slug:action>/",
        sv.question_action,
        name="question_action",
    ),
    path("surveys/<id:survey_id>/paper/", sv.survey_paper, name="survey_paper"),
    path("surveys/<id:survey_id>/import/", sv.survey_import, name="survey_import"),
    path(
        "surveys/<id:survey_id>/import/template.xlsx",
        sv.survey_import_template,
        name="survey_import_template",
    ),
    path("surveys/<id:survey_id>/responses/", sv.survey_responses, name="survey_responses"),
    path(
        "surveys/<id:survey_id>/responses/<id:response_id>/",
        sv.response_detail,
        name="response_detail",
    ),
    path("surveys/<id:survey_id>/results/", sv.survey_results, name="survey_results"),
    path("surveys/<id:survey_id>/results.json", sv.survey_results_json, name="survey_results_json"),
    path("surveys/<id:survey_id>/responses.xlsx", sv.survey_export, name="survey_export"),
    path("surveys/<id:survey_id>/summary.docx", sv.survey_summary, name="survey_summary"),
    path("surveys/<id:survey_id>/poster/", sv.survey_poster, name="survey_poster"),
    path("surveys/<id:survey_id>/<slug:action>/", sv.survey_action, name="survey_action"),
    path(
        "surveys/<id:survey_id>/answers/<id:answer_id>/to-opinion/",
        sv.answer_to_opinion,
        name="answer_to_opinion",
    ),
    path("opinion-figures/", ofv.figures, name="opinion_figures"),
    path("opinion-figures/recount/", ofv.recount, name="opinion_figures_recount"),
    path("opinion-figures/export.xlsx", ofv.figures_xlsx, name="opinion_figures_xlsx"),
    # Working-day calendar (工作日历).
    path("workdays/", wv.workday_index, name="workday_index"),
    path("workdays/import/", wv.workday_import, name="workday_import"),
    path("workdays/template.xlsx", wv.workday_template, name="workday_template"),
    path("workdays/<year:year>/", wv.workday_year, name="workday_year"),
    # Opinions (意见建议) and call-backs (电话回访), staff side.
    path("opinions/", ov.opinion_list, name="opinion_list"),
    path("opinions/new/", ov.opinion_create, name="opinion_create"),
    path("opinions/export.xlsx", ov.opinion_export, name="opinion_export"),
    path("opinions/import/", ov.opinion_import, name="opinion_import"),
    path(
        "opinions/import/template.xlsx",
        ov.opinion_import_template,
        name="opinion_import_template",
    ),
    path("opinions/evidence/<id:evidence_id>/", ov.opinion_evidence, name="opinion_evidence"),
    path("opinions/bulk/", ov.opinion_bulk, name="opinion_bulk"),
    path("opinions/<id:opinion_id>/", ov.opinion_detail, name="opinion_detail"),
    path("opinions/<id:opinion_id>/<slug:action>/", ov.opinion_action, name="opinion_action"),
    path("callbacks/", ov.callback_list, name="callback_list"),
    path("callbacks/build/", ov.callback_build, name="callback_build"),
    path("callbacks/<id:callback_id>/", ov.callback_detail, name="callback_detail"),
    path("callbacks/<id:callback_id>/reveal/", ov.callback_reveal, name="callback_reveal"),
]

# Publicity, event summaries and evidence, evaluation: each module keeps its own patterns.
urlpatterns += publicity_views.urlpatterns
urlpatterns += summary_views.urlpatterns
urlpatterns += evaluation_views.urlpatterns
urlpatterns += triage_views.urlpatterns
urlpatterns += ops_views.urlpatterns
