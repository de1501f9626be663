"""Every staff page, as every persona: who may see it and who may not.

Grow STAFF_PAGES whenever a view is added; test_every_staff_url_is_in_the_matrix fails
when a URL under /staff/ has no row here.
"""

import pytest
from django.urls import get_resolver

from openday.accounts.services import create_token
from openday.orgs.models import Region

from .conftest import PERSONAS, STAFF
from .matrix_evaluation import EVALUATION_POST, evaluation_pages
from .matrix_ops import OPS_POST, ops_pages
from .matrix_publicity import PUBLICITY_POST, publicity_pages
from .matrix_summary import SUMMARY_POST, summary_pages
from .matrix_triage import TRIAGE_POST, triage_pages

ALL_STAFF = STAFF
MANAGERS = {"operator", "kf_office", "unit_admin", "nm_office", "town_admin"}
OFFICE_ADMINS = {"operator", "kf_office", "nm_office"}
OPERATORS = {"operator"}
KAIFU_SEE = {"operator", "kf_office", "kf_viewer"}
HOUSING_SEE = KAIFU_SEE | {"unit_admin", "unit_staff", "handler"}
HOUSING_MANAGE = {"operator", "kf_office", "unit_admin"}
TOWN_SEE = {"operator", "nm_office", "town_admin"}
TOWN_DEPT_SEE = TOWN_SEE | {"town_handler"}


def campaign_pages(w):
    from openday.campaigns.models import Campaign
    from openday.demo.services import load_demo_campaigns

    load_demo_campaigns()
    c = Campaign.objects.get(office=w.kaifu, year=2023)
    n = Campaign.objects.get(office=w.naiman, year=2023)
    d = c.declarations.get(unit=w.housing)
    units = {"unit_admin", "unit_staff", "handler"}
    see_c = KAIFU_SEE | units
    declare = {"operator", "kf_office", "unit_admin", "unit_staff"}
    return [
        ("campaign_list", "/staff/campaigns/", ALL_STAFF),
        ("campaign_create", "/staff/campaigns/new/", OFFICE_ADMINS),
        ("campaign_detail", f"/staff/campaigns/{c.pk}/", see_c),
        ("campaign_detail", f"/staff/campaigns/{n.pk}/", TOWN_DEPT_SEE),
        ("campaign_edit", f"/staff/campaigns/{c.pk}/edit/", {"operator", "kf_office"}),
        ("campaign_notice_docx", f"/staff/campaigns/{c.pk}/notice.docx", see_c),
        ("campaign_board", f"/staff/campaigns/{c.pk}/board/", KAIFU_SEE),
        ("campaign_import", f"/staff/campaigns/{c.pk}/import/", {"operator", "kf_office"}),
        ("campaign_plan", f"/staff/campaigns/{c.pk}/plan/", see_c),
        ("campaign_plan_xlsx", f"/staff/campaigns/{c.pk}/plan.xlsx", see_c),
        ("campaign_plan_docx", f"/staff/campaigns/{c.pk}/plan.docx", see_c),
        ("declaration_edit", f"/staff/campaigns/{c.pk}/declare/{w.housing.pk}/", declare),
        (
            "declaration_edit",
            f"/staff/campaigns/{c.pk}/declare/{w.street.pk}/",
            {"operator", "kf_office"},
        ),
        (
            "declaration_template",
            f"/staff/campaigns/{c.pk}/declare/{w.housing.pk}/template.xlsx",
            declare,
        ),
        ("declaration_review", f"/staff/declarations/{d.pk}/", see_c),
    ]


def event_pages(w):
    from datetime import timedelta

    from django.utils import timezone

    from openday.events import services

    start = timezone.now() + timedelta(days=5)
    e = services.create_event(
        w.users["unit_admin"], w.housing, title="权限测试活动", starts_at=start,
        ends_at=start + timedelta(hours=1), venues=[{"name": "会场"}], capacity=5, publish=True,
    )  # fmt: skip
    runs = {"operator", "kf_office", "unit_admin", "unit_staff"}
    runners = {"operator", "kf_office", "unit_admin", "unit_staff", "nm_office", "town_admin"}
    return [
        ("event_list", "/staff/events/", ALL_STAFF),
        ("event_create", "/staff/events/new/", runners),
        ("event_detail", f"/staff/events/{e.pk}/", runs),
        ("event_edit", f"/staff/events/{e.pk}/edit/", runs),
        ("event_checkin", f"/staff/events/{e.pk}/checkin/", runs),
        ("event_paper", f"/staff/events/{e.pk}/signin.xlsx", runs),
        ("event_paper", f"/staff/events/{e.pk}/signin.docx", runs),
        ("event_paper", f"/staff/events/{e.pk}/cards.docx", runs),
        ("event_paper", f"/staff/events/{e.pk}/banner.svg", runs),
        ("event_invitations", f"/staff/events/{e.pk}/invitations/", runs),
    ]


def survey_pages(w):
    from openday.surveys import services

    s = services.create_survey(w.users["unit_admin"], w.housing, title="权限测试问卷")
    q = services.save_question(w.users["unit_admin"], s, {"kind": "single", "title": "满意吗",
                                                          "options": ["是", "否"]})  # fmt: skip
    services.save_question(w.users["unit_admin"], s, {"kind": "textarea", "title": "建议",
                                                      "required": False})  # fmt: skip
    services.set_status(w.users["unit_admin"], s, "open")
    r = services.enter_paper(w.users["unit_admin"], s, batch_no="A", form_no="1",
                             answers={q.pk: 1})  # fmt: skip
    runs = {"operator", "kf_office", "unit_admin", "unit_staff"}
    runners = runs | {"nm_office", "town_admin"}
    see = HOUSING_SEE
    return [
        ("survey_list", "/staff/surveys/", ALL_STAFF),
        ("survey_create", "/staff/surveys/new/", runners),
        ("survey_create", f"/staff/surveys/new/?org={w.housing.pk}", runs),
        ("survey_detail", f"/staff/surveys/{s.pk}/", see),
        ("survey_edit", f"/staff/surveys/{s.pk}/edit/", runs),
        ("question_add", f"/staff/surveys/{s.pk}/questions/new/", runs),
        ("question_edit", f"/staff/surveys/{s.pk}/questions/{q.pk}/", runs),
        ("survey_paper", f"/staff/surveys/{s.pk}/paper/", runs),
        ("survey_import", f"/staff/surveys/{s.pk}/import/", runs),
        ("survey_import_template", f"/staff/surveys/{s.pk}/import/template.xlsx", runs),
        ("survey_responses", f"/staff/surveys/{s.pk}/responses/", see),
        ("response_detail", f"/staff/surveys/{s.pk}/responses/{r.pk}/", see),
        ("survey_results", f"/staff/surveys/{s.pk}/results/", see),
        ("survey_results_json", f"/staff/surveys/{s.pk}/results.json", see),
        ("survey_export", f"/staff/surveys/{s.pk}/responses.xlsx", see),
        ("survey_summary", f"/staff/surveys/{s.pk}/summary.docx", see),
        ("survey_poster", f"/staff/surveys/{s.pk}/poster/", see),
    ]


def workday_pages(w):
    return [
        ("workday_index", "/staff/workdays/", ALL_STAFF),
        ("workday_year", "/staff/workdays/2026/", ALL_STAFF),
        ("workday_year", "/staff/workdays/2027/", ALL_STAFF),
        # The calendar is shared by every district: operators keep it (docs/operator.md 6.6).
        ("workday_import", "/staff/workdays/import/", OPERATORS),
        ("workday_template", "/staff/workdays/template.xlsx", OPERATORS),
    ]


ENTERS = {"operator", "kf_office", "unit_admin", "unit_staff", "nm_office", "town_admin"}
HOUSING_ENTERS = {"operator", "kf_office", "unit_admin", "unit_staff"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Evidence files uploaded by opinion_pages go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def opinion_world(w):
    """Opinions of 开福区 in three states, one of 奈曼旗, a call-back and an evidence file."""
    from datetime import date, timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from openday.events import services as events
    from openday.opinions import services
    from openday.opinions.models import Callback

    kf, admin, handler = w.users["kf_office"], w.users["unit_admin"], w.users["handler"]
    start = timezone.now() + timedelta(days=5)
    event = events.create_event(
        admin, w.housing, title="意见权限测试活动", starts_at=start,
        ends_at=start + timedelta(hours=1), venues=[{"name": "会场"}], capacity=5, publish=True,
    )  # fmt: skip
    new = services.submit_opinion(content="待交办的意见", source="forum", office=w.kaifu, actor=kf)
    assigned = services.submit_opinion(content="交办给办理人的意见", source="phone",
                                       office=w.kaifu, name="张三", phone="13900000001",
                                       actor=kf)  # fmt: skip
    services.assign(kf, assigned, unit=w.housing, assignee=handler)
    published = services.submit_opinion(content="已公开的意见", source="paper", office=w.kaifu,
                                         name="李四", phone="13900000002", actor=kf)  # fmt: skip
    services.assign(kf, published, unit=w.housing)
    services.answer(admin, published, text="已采纳并整改。", decision="adopted")
    services.review(admin, published, approve=True, publish=True)
    step = services.add_step(handler, assigned, description="整改", planned_date=date.today())
    evidence = services.add_evidence(
        handler, step, SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    )
    naiman = services.submit_opinion(content="奈曼旗的意见", source="forum", office=w.naiman,
                                     actor=w.users["nm_office"])  # fmt: skip
    services.build_call_list(kf, org=w.housing)
    callback = Callback.objects.get(opinion=published)
    return {"event": event, "new": new, "assigned": assigned, "published": published,
            "naiman": naiman, "evidence": evidence, "callback": callback}  # fmt: skip


def opinion_pages(w):
    o = opinion_world(w)
    return [
        ("opinion_list", "/staff/opinions/", ALL_STAFF),
        ("opinion_list", "/staff/opinions/?mine=1", ALL_STAFF),
        ("opinion_list", "/staff/opinions/?mine=0&due=overdue&status=open&q=意见", ALL_STAFF),
        ("opinion_export", "/staff/opinions/export.xlsx", ALL_STAFF),
        ("opinion_figures", "/staff/opinion-figures/", ALL_STAFF),
        ("opinion_figures", "/staff/opinion-figures/?year=2023", ALL_STAFF),
        ("opinion_figures_xlsx", "/staff/opinion-figures/export.xlsx", ALL_STAFF),
        ("opinion_create", "/staff/opinions/new/", ENTERS),
        ("opinion_create", f"/staff/opinions/new/?event={o['event'].pk}", HOUSING_ENTERS),
        ("opinion_import", "/staff/opinions/import/", ENTERS),
        ("opinion_import_template", "/staff/opinions/import/template.xlsx", ENTERS),
        ("opinion_detail", f"/staff/opinions/{o['new'].pk}/", KAIFU_SEE),
        ("opinion_detail", f"/staff/opinions/{o['assigned'].pk}/", HOUSING_SEE),
        (
            "opinion_detail",
            f"/staff/opinions/{o['published'].pk}/",
            KAIFU_SEE | {"unit_admin", "unit_staff"},
        ),
        ("opinion_detail", f"/staff/opinions/{o['naiman'].pk}/", {"operator", "nm_office"}),
        ("opinion_evidence", f"/staff/opinions/evidence/{o['evidence'].pk}/", HOUSING_SEE),
        ("callback_list", "/staff/callbacks/", ENTERS),
        ("callback_list", "/staff/callbacks/?retry=1&outcome=todo", ENTERS),
        ("callback_detail", f"/staff/callbacks/{o['callback'].pk}/", HOUSING_ENTERS),
    ]


def staff_pages(w):
    region = Region.objects.get(code="430105")
    town_region = Region.objects.get(name="沙日浩来镇")
    m = w.staff_membership
    return [
        # (url name for coverage, url, personas allowed)
        ("dashboard", "/staff/", ALL_STAFF),
        ("org_list", "/staff/orgs/", ALL_STAFF),
        ("org_detail", f"/staff/orgs/{w.kaifu.pk}/", KAIFU_SEE),
        ("org_detail", f"/staff/orgs/{w.housing.pk}/", HOUSING_SEE),
        ("org_detail", f"/staff/orgs/{w.town.pk}/", TOWN_SEE),
        ("org_detail", f"/staff/orgs/{w.town_dept.pk}/", TOWN_DEPT_SEE),
        ("org_edit", f"/staff/orgs/{w.kaifu.pk}/edit/", {"operator", "kf_office"}),
        ("org_edit", f"/staff/orgs/{w.housing.pk}/edit/", HOUSING_MANAGE),
        ("org_edit", f"/staff/orgs/{w.town.pk}/edit/", TOWN_SEE),
        ("org_create", f"/staff/orgs/new/?parent={w.kaifu.pk}", {"operator", "kf_office"}),
        ("org_create", f"/staff/orgs/new/?parent={w.housing.pk}", HOUSING_MANAGE),
        ("org_create", "/staff/orgs/new/", MANAGERS),
        ("member_add", f"/staff/orgs/{w.housing.pk}/members/add/", HOUSING_MANAGE),
        ("member_add", f"/staff/orgs/{w.town.pk}/members/add/", TOWN_SEE),
        ("membership_edit", f"/staff/memberships/{m.pk}/edit/", HOUSING_MANAGE),
        ("user_detail", f"/staff/users/{m.user_id}/", HOUSING_MANAGE),
        ("region_list", "/staff/regions/", ALL_STAFF),
        ("region_create", "/staff/regions/new/", OFFICE_ADMINS),
        # An office keeps the regions at or below its own; 奈曼旗 cannot edit 开福区.
        ("region_edit", f"/staff/regions/{region.pk}/edit/", {"operator", "kf_office"}),
        ("region_edit", f"/staff/regions/{town_region.pk}/edit/", {"operator", "nm_office"}),
        ("org_export", "/staff/orgs/export.xlsx", MANAGERS),
        ("org_import", "/staff/orgs/import/", OFFICE_ADMINS),
        ("org_import_template", "/staff/orgs/import/template.xlsx", OFFICE_ADMINS),
        ("audit_log", "/staff/audit/", MANAGERS),
        ("account", "/staff/account/", ALL_STAFF),
        ("password_change", "/staff/account/password/", ALL_STAFF),
        ("two_factor_enrol", "/staff/account/two-factor/", ALL_STAFF),
        *campaign_pages(w),
        *event_pages(w),
        *survey_pages(w),
        *opinion_pages(w),
        *workday_pages(w),
        *publicity_pages(w),
        *summary_pages(w),
        *evaluation_pages(w),
        *triage_pages(w),
        *ops_pages(w),
    ]


# POST-only endpoints, checked one persona at a time because they change state.
POST_ENDPOINTS = [
    "answer_to_opinion",
    "membership_remove",
    "user_action",
    "token_revoke",
    "campaign_issue",
    "campaign_remind",
    "campaign_logo",
    "event_action",
    "event_checkin_json",
    "survey_action",
    "question_action",
    "opinion_action",
    "opinion_bulk",
    "opinion_figures_recount",  # tests/test_rollups.py
    "callback_build",
    "callback_reveal",
    *PUBLICITY_POST,
    *SUMMARY_POST,
    *EVALUATION_POST,
    *TRIAGE_POST,
    *OPS_POST,
]
PUBLIC = {"login", "login_verify", "logout"}


def _expected(persona, allowed):
    if persona == "anonymous":
        return 302
    if persona == "norole":
        return 403
    return 200 if persona in allowed else 403


def test_staff_pages_as_every_persona(world, client):
    wrong = []
    for _name, url, allowed in staff_pages(world):
        for persona in PERSONAS:
            response = world.client_for(client, persona).get(url)
            expected = _expected(persona, allowed)
            if response.status_code != expected:
                wrong.append(
                    f"{persona:12} GET {url} -> {response.status_code}, expected {expected}"
                )
            elif expected == 302:
                assert response["Location"].startswith("/staff/login/?next=")
    assert not wrong, "\n".join(wrong)


ENROL = "/staff/account/two-factor/"
MUST_ENROL = ["operator", "kf_office", "nm_office"]  # an operator and office admins


def _not_exempt(world, personas):
    from openday.accounts.models import User

    ids = [world.users[p].pk for p in personas]
    User.objects.filter(pk__in=ids).update(two_factor_exempt=False)
    for p in personas:
        world.users[p].refresh_from_db()


def test_the_second_factor_gate_on_every_staff_page(world, client):
    """An operator or office admin who is not exempt and has no authenticator is sent to
    enrolment from every staff page; once enrolled and verified, the normal answers hold."""
    import pyotp

    from openday.accounts import services as accounts

    pages = staff_pages(world)
    _not_exempt(world, MUST_ENROL)
    wrong = []
    for persona in MUST_ENROL:
        c = world.client_for(client, persona)
        for _name, url, _allowed in pages:
            response = c.get(url)
            if url == ENROL:
                ok = response.status_code == 200
            else:
                ok = response.status_code == 302 and response["Location"] == ENROL
            if not ok:
                wrong.append(f"{persona:12} GET {url} -> {response.status_code} (not enrolled)")
        response = c.post(f"/staff/users/{world.staff_membership.user_id}/reset-password/")
        assert response.status_code == 302 and response["Location"] == ENROL, persona
    for persona in MUST_ENROL:
        secret = accounts.new_secret()
        accounts.enrol_two_factor(world.users[persona], secret, pyotp.TOTP(secret).now())
        c = world.client_for(client, persona)
        session = c.session
        session[accounts.SESSION_VERIFIED] = True
        session.save()
        for _name, url, allowed in pages:
            response = c.get(url)
            expected = _expected(persona, allowed)
            if response.status_code != expected:
                wrong.append(f"{persona:12} GET {url} -> {response.status_code} (verified)")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_resetting_a_second_factor_as(world, client, persona):
    """Operators and office admins over the person's orgs may; unit admins may not."""
    import pyotp

    from openday.accounts import services as accounts
    from openday.accounts.models import TwoFactor

    target = world.staff_membership.user
    secret = accounts.new_secret()
    accounts.enrol_two_factor(target, secret, pyotp.TOTP(secret).now())
    c = world.client_for(client, persona)
    if persona == "unit_staff":  # the person themself, who passed their own second step
        session = c.session
        session[accounts.SESSION_VERIFIED] = True
        session.save()
    response = c.post(f"/staff/users/{target.pk}/reset-2fa/")
    expected = _expected(persona, {"operator", "kf_office"})
    assert response.status_code == (302 if expected == 200 else expected)
    assert TwoFactor.objects.filter(user=target).exists() is (expected != 200)


def test_every_staff_url_is_in_the_matrix(world):
    control = {p.name for p in get_resolver("openday.control.urls").url_patterns}
    covered = {name for name, _url, _allowed in staff_pages(world)} | set(POST_ENDPOINTS) | PUBLIC
    assert control - covered == set(), f"staff URLs missing from the matrix: {control - covered}"


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_revoking_a_role_as(world, client, persona):
    m = world.staff_membership
    response = world.client_for(client, persona).post(f"/staff/memberships/{m.pk}/remove/")
    expected = _expected(persona, HOUSING_MANAGE)
    assert response.status_code == (302 if expected == 200 else expected)
    still_there = type(m).objects.filter(pk=m.pk).exists()
    assert still_there is (expected != 200)


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("action", ["reset-password", "unlock", "deactivate"])
def test_user_actions_as(world, client, persona, action):
    target = world.staff_membership.user
    before = target.password
    response = world.client_for(client, persona).post(f"/staff/users/{target.pk}/{action}/")
    expected = _expected(persona, HOUSING_MANAGE)
    if expected == 200:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == expected
    target.refresh_from_db()
    if action == "reset-password":
        assert (target.password != before) is (expected == 200)
    if action == "deactivate":
        assert target.is_active is (expected != 200)


def test_api_org_detail_as_every_persona(world, client):
    wrong = []
    for persona, username in PERSONAS.items():
        headers = {}
        if username is not None:
            _token, raw = create_token(world.users[persona])
            headers = {"Authorization": f"Bearer {raw}"}
        for org, allowed in [(world.kaifu, KAIFU_SEE), (world.town_dept, TOWN_DEPT_SEE)]:
            response = client.get(f"/api/v1/orgs/{org.pk}", headers=headers)
            expected = (
                401 if persona in ("anonymous", "norole") else (200 if persona in allowed else 403)
            )
            if response.status_code != expected:
                wrong.append(f"{persona} {org.name} -> {response.status_code}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_only_the_owner_revokes_a_token(world, client):
    token, raw = create_token(world.users["unit_staff"])
    for persona in PERSONAS:
        if persona == "unit_staff":
            continue
        response = world.client_for(client, persona).post(
            f"/staff/account/tokens/{token.pk}/revoke/"
        )
        assert response.status_code in (302, 403, 404), persona
        token.refresh_from_db()
        assert token.revoked_at is None, persona
    world.client_for(client, "unit_staff").post(f"/staff/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_issuing_and_reminding_as(world, client, persona):
    from openday.campaigns import services
    from openday.campaigns.models import Campaign, Reminder

    fields = services.preset_fields("theme_day", world.kaifu, 2030)
    campaign = services.create_campaign(world.users["kf_office"], world.kaifu, **fields)
    c = world.client_for(client, persona)
    expected = _expected(persona, {"operator", "kf_office"})
    response = c.post(f"/staff/campaigns/{campaign.pk}/issue/")
    assert response.status_code == (302 if expected == 200 else expected)
    campaign.refresh_from_db()
    assert (campaign.status == Campaign.Status.OPEN) is (expected == 200)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.OPEN)
    response = c.post(f"/staff/campaigns/{campaign.pk}/remind/")
    assert response.status_code == (302 if expected == 200 else expected)
    assert Reminder.objects.filter(campaign=campaign).exists() is (expected == 200)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_reviewing_a_declaration_as(world, client, persona):
    from openday.campaigns import services
    from openday.campaigns.models import Declaration

    fields = services.preset_fields("theme_day", world.kaifu, 2030)
    campaign = services.issue_notice(
        world.users["kf_office"],
        services.create_campaign(world.users["kf_office"], world.kaifu, **fields),
    )
    declaration = services.save_declaration(
        world.users["unit_admin"], services.declaration_for(campaign, world.housing),
        {"contact_name": "张三", "contact_phone": "0731-84390000"},
        [{"theme": "主题", "month": 6, "forms": ["座谈交流"], "intro": "介" * 40}], submit=True,
    )  # fmt: skip
    response = world.client_for(client, persona).post(
        f"/staff/declarations/{declaration.pk}/", {"approve": "1"}
    )
    runs = persona in ("operator", "kf_office")
    if persona == "anonymous":
        assert response.status_code == 302
    elif runs:
        assert response.status_code == 302
    else:
        assert response.status_code == 403
    declaration.refresh_from_db()
    assert (declaration.status == Declaration.Status.APPROVED) is runs


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_event_actions_as(world, client, persona):
    from datetime import timedelta

    from django.utils import timezone

    from openday.events import services
    from openday.events.models import Event

    start = timezone.now() + timedelta(days=5)
    event = services.create_event(
        world.users["unit_admin"], world.housing, title="权限测试活动", starts_at=start,
        ends_at=start + timedelta(hours=1), venues=[{"name": "会场"}], capacity=5,
    )  # fmt: skip
    r = client
    world.client_for(r, persona)
    response = r.post(f"/staff/events/{event.pk}/publish/")
    allowed = persona in ("operator", "kf_office", "unit_admin", "unit_staff")
    expected = 302 if (allowed or persona == "anonymous") else 403
    assert response.status_code == expected
    event.refresh_from_db()
    assert (event.status == Event.Status.OPEN) is allowed


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_checking_in_by_the_page_script_as(world, client, persona):
    import json
    from datetime import timedelta

    from django.utils import timezone

    from openday.events import services

    start = timezone.now() + timedelta(days=5)
    event = services.create_event(
        world.users["unit_admin"], world.housing, title="签到测试", starts_at=start,
        ends_at=start + timedelta(hours=1), venues=[{"name": "会场"}], capacity=5, publish=True,
    )  # fmt: skip
    r = services.register(
        event.pk, name="张三", phone="13900000001", category="public", consent=True
    )
    world.client_for(client, persona)
    response = client.post(f"/staff/events/{event.pk}/checkin.json",
                           json.dumps({"ticket_code": r.ticket_code}), content_type="application/json")  # fmt: skip
    allowed = persona in ("operator", "kf_office", "unit_admin", "unit_staff")
    assert response.status_code == (201 if allowed else 302 if persona == "anonymous" else 403)
    r.refresh_from_db()
    assert (r.checked_in_at is not None) is allowed


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_survey_state_changes_as(world, client, persona):
    """Publishing, moving and deleting questions, deleting an answer: the unit's runners only."""
    from openday.surveys import services
    from openday.surveys.models import Question, Response, Survey

    admin = world.users["unit_admin"]
    s = services.create_survey(admin, world.housing, template="policy")
    first, second = list(s.questions.all())[:2]
    expected = _expected(persona, {"operator", "kf_office", "unit_admin", "unit_staff"})
    c = world.client_for(client, persona)
    ok = 302 if expected == 200 else expected
    assert c.post(f"/staff/surveys/{s.pk}/questions/{second.pk}/up/").status_code == ok
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.position < first.position) is (expected == 200)
    assert c.post(f"/staff/surveys/{s.pk}/questions/{first.pk}/delete/").status_code == ok
    assert Question.objects.filter(pk=first.pk).exists() is (expected != 200)
    assert c.post(f"/staff/surveys/{s.pk}/open/").status_code == ok
    s.refresh_from_db()
    assert (s.status == Survey.Status.OPEN) is (expected == 200)
    services.set_status(admin, s, "open")
    answers = {q.pk: 1 for q in s.questions.filter(kind__in=["single", "rating"])}
    answers.update({q.pk: {str(i): 1 for i in range(1, len(q.rows) + 1)}
                    for q in s.questions.filter(kind="matrix")})  # fmt: skip
    r = services.enter_paper(admin, s, batch_no="B", form_no="9", answers=answers)
    assert c.post(
        f"/staff/surveys/{s.pk}/responses/{r.pk}/", {"reason": "录入错误"}
    ).status_code in ((302,) if expected == 200 else (expected,))
    assert Response.objects.filter(pk=r.pk).exists() is (expected != 200)


# --- Opinions -----------------------------------------------------------------------------------


def test_each_persona_lists_only_the_opinions_it_may_see(world, client):
    o = opinion_world(world)
    kaifu = {"new", "assigned", "published"}
    expected = {
        "operator": kaifu | {"naiman"},
        "kf_office": kaifu,
        "kf_viewer": kaifu,
        "unit_admin": {"assigned", "published"},
        "unit_staff": {"assigned", "published"},
        "handler": {"assigned"},
        "nm_office": {"naiman"},
        "town_admin": set(),
        "town_handler": set(),
    }
    for persona, names in expected.items():
        page = world.client_for(client, persona).get("/staff/opinions/?mine=0")
        assert page.status_code == 200, persona
        shown = {n for n in ("new", "assigned", "published", "naiman")
                 if o[n].tracking_code in page.content.decode()}  # fmt: skip
        assert shown == names, persona
    # A handler lands on the inbox when asking for nothing.
    page = world.client_for(client, "handler").get("/staff/opinions/")
    assert page.context["mine"] is True and o["assigned"].tracking_code in page.content.decode()


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_assigning_an_opinion_as(world, client, persona):
    from openday.opinions.models import Opinion

    o = opinion_world(world)["new"]
    response = world.client_for(client, persona).post(
        f"/staff/opinions/{o.pk}/assign/", {"unit": world.housing.pk, "due_days": "10"}
    )
    expected = _expected(persona, {"operator", "kf_office"})
    assert response.status_code == (302 if expected == 200 else expected)
    o.refresh_from_db()
    assert (o.status == Opinion.Status.ASSIGNED) is (expected == 200)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_answering_an_opinion_as(world, client, persona):
    from openday.opinions.models import Opinion

    o = opinion_world(world)["assigned"]
    response = world.client_for(client, persona).post(
        f"/staff/opinions/{o.pk}/answer/", {"decision": "adopted", "answer": "采纳，将于下月整改。"}
    )
    answerers = {"operator", "kf_office", "unit_admin", "unit_staff", "handler"}
    expected = _expected(persona, answerers)
    assert response.status_code == (302 if expected == 200 else expected)
    o.refresh_from_db()
    assert (o.status == Opinion.Status.ANSWERED) is (expected == 200)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_approving_and_publishing_as(world, client, persona):
    from openday.opinions import services
    from openday.opinions.models import Opinion

    o = opinion_world(world)["assigned"]
    services.answer(world.users["handler"], o, text="采纳。", decision="adopted")
    c = world.client_for(client, persona)
    response = c.post(f"/staff/opinions/{o.pk}/review/", {"outcome": "publish", "note": ""})
    expected = _expected(persona, HOUSING_MANAGE)
    assert response.status_code == (302 if expected == 200 else expected)
    o.refresh_from_db()
    assert (o.status == Opinion.Status.PUBLISHED) is (expected == 200)
    if expected == 200:
        response = c.post(f"/staff/opinions/{o.pk}/unpublish/", {"reason": "答复有误"})
        assert response.status_code == 302
        o.refresh_from_db()
        assert o.status == Opinion.Status.APPROVED


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_revealing_a_phone_number_as(world, client, persona):
    from openday.audit.models import AuditEntry

    callback = opinion_world(world)["callback"]
    response = world.client_for(client, persona).post(f"/staff/callbacks/{callback.pk}/reveal/")
    expected = _expected(persona, HOUSING_ENTERS)
    assert response.status_code == expected
    assert ("13900000002" in response.content.decode()) is (expected == 200)
    logged = AuditEntry.objects.filter(action="callback.phone_viewed", object_id=str(callback.pk))
    assert logged.exists() is (expected == 200)


# --- Gateway hooks (no session: a secret token in the URL) --------------------------------------

# (url name, gateway): every hooks/ URL needs a row; who is signed in never matters.
HOOKS = [("sms_receipts_aliyun", "aliyun"), ("sms_receipts_tencent", "tencent")]


def test_every_hook_url_is_in_the_matrix():
    hooks = {p.name for p in get_resolver().url_patterns if str(p.pattern).startswith("hooks/")}
    assert hooks - {name for name, _gateway in HOOKS} == set()


@pytest.mark.parametrize(("name", "gateway"), HOOKS)
def test_gateway_hooks_as_every_persona(world, client, settings, name, gateway):
    settings.OPENDAY_SMS_RECEIPT_TOKEN = "hook-token"
    wrong = []
    for persona in PERSONAS:
        c = world.client_for(client, persona)
        for method, token, expected in [
            ("post", "wrong-token", 404),
            ("get", "wrong-token", 404),
            ("get", "hook-token", 405),
            ("post", "hook-token", 200),
        ]:
            url = f"/hooks/sms/{gateway}/{token}/"
            if method == "get":
                response = c.get(url)
            else:
                response = c.post(url, "[]", content_type="application/json")
            if response.status_code != expected:
                wrong.append(
                    f"{persona:12} {method} {url} -> {response.status_code}, not {expected}"
                )
    settings.OPENDAY_SMS_RECEIPT_TOKEN = ""
    response = client.post(
        f"/hooks/sms/{gateway}/hook-token/", "[]", content_type="application/json"
    )
    assert response.status_code == 404, "hooks answer 404 while the token setting is empty"
    assert not wrong, "\n".join(wrong)


def test_every_staff_download_is_audit_logged(world, client, media):
    """Exports carry personal data out of the system: each one leaves an audit entry naming
    who took which file (等保三级, 安全审计). Checked over every file the matrix downloads."""
    from urllib.parse import unquote

    from openday.audit.models import AuditEntry

    c = world.client_for(client, "operator")
    files = 0
    for _name, url, _allowed in staff_pages(world):
        response = c.get(url)
        disposition = response.get("Content-Disposition", "")
        if response.status_code != 200 or not disposition.startswith("attachment"):
            continue
        files += 1
        filename = unquote(disposition.split("''", 1)[1])
        entry = AuditEntry.objects.filter(action="export.downloaded").order_by("-id").first()
        assert entry is not None, url
        assert entry.actor == world.users["operator"], url
        assert entry.changes == {"file": filename}, url
        assert entry.action_label == "下载导出文件"
        entry.delete()
    assert files >= 10  # the matrix downloads every kind of export
