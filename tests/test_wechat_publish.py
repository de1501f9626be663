"""One-click publishing of an approved article to the office's WeChat official account (#20),
against openday.publicity.fake_wechat: no test reaches WeChat."""

import json
import logging

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from openday.audit.models import AuditEntry
from openday.demo.publicity import placeholder_png
from openday.publicity import services, tasks, wechat_mp
from openday.publicity.fake_wechat import APP_ID, APP_SECRET, FakeWeChat
from openday.publicity.models import WeChatAccount, WeChatPublication

P = WeChatPublication.State


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Retries and polls run at once (the delays are the production ones otherwise)."""
    monkeypatch.setattr(tasks, "RETRY_SECONDS", (0,))
    monkeypatch.setattr(tasks, "POLL_SECONDS", (0,))


@pytest.fixture
def wx():
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture
def account(world, wx):
    """开福区's account, pointed at the fake by an operator (only operators may change the API
    address)."""
    return tasks.save_account(
        world.users["operator"],
        world.kaifu,
        app_id=APP_ID,
        secret=APP_SECRET,
        author_name="开福发布",
        enabled=True,
        base_url=wx.url,
    )


def published(world, title="老旧小区改造现场观摩", images=2):
    writer, reviewer = world.users["unit_staff"], world.users["kf_office"]
    body = "\n\n".join(
        ["第一段，介绍活动。"] + [f"[图{n}]" for n in range(1, images + 1)] + ["第二段，群众意见。"]
    )
    article = services.create_article(
        writer, world.housing, title=title, lead="开福区住建局邀请居民代表走进改造现场。", body=body
    )
    for n in range(images):
        services.add_image(
            writer,
            article,
            ContentFile(placeholder_png(8 + n, 6), name=f"photo{n}.png"),
            caption=f"现场{n + 1}",
        )
    services.submit_article(writer, article)
    services.approve_article(reviewer, article)
    return article


def run_worker():
    """Run every queued task in this process until none is ready (retries and polls included),
    through the worker's own run_task (the loop around it would close the test's connection)."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="wechat-test",
        excluded_queue_names=[],
    )
    for _ in range(500):
        result = DBTaskResult.objects.ready().order_by("enqueued_at", "id").first()
        if result is None:
            return
        result.claim(worker.worker_id)
        worker.run_task(result)
    raise AssertionError("the tasks never stopped queueing each other")


def publish(client, world, article, persona="kf_office", capture=None):
    c = world.client_for(client, persona)
    url = reverse("control:article_action", args=[article.pk, "wechat"])
    if capture is None:
        return c.post(url)
    with capture(execute=True):
        return c.post(url)


def detail(client, world, article, persona="kf_office"):
    response = world.client_for(client, persona).get(
        reverse("control:article_detail", args=[article.pk])
    )
    assert response.status_code == 200
    return response.content.decode()


# --- The whole path ---------------------------------------------------------------------------


def test_an_article_goes_to_the_account_and_its_wechat_link_is_shown(
    world, client, wx, account, django_capture_on_commit_callbacks
):
    article = published(world)
    response = publish(client, world, article, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    publication = WeChatPublication.objects.get(article=article)
    # The request only queued the work: WeChat has not been called yet.
    assert publication.state == P.QUEUED and wx.stats()["calls"] == {}
    assert "排队中" in detail(client, world, article)

    run_worker()

    publication.refresh_from_db()
    assert publication.state == P.PUBLISHED, publication.error
    assert publication.article_url.startswith("https://mp.weixin.qq.com/s/")
    stats = wx.stats()
    assert stats["token_requests"] == 1
    assert stats["materials"] == 1  # the cover: the first picture
    assert stats["images"] == 2
    assert stats["calls"]["/cgi-bin/freepublish/get"] == 2  # "publishing", then published
    [draft] = wx.draft_articles()
    assert draft["title"] == article.title
    assert draft["digest"] == article.lead
    assert draft["author"] == "开福发布"
    assert draft["need_open_comment"] == 0
    assert draft["thumb_media_id"] == publication.thumb_media_id
    assert draft["content_source_url"] == "http://testserver" + reverse(
        "portal:article", args=[article.pk]
    )
    for url, _data in wx.images:
        assert f'src="{url}"' in draft["content"]
    assert "images/01" not in draft["content"]  # no placeholder left
    assert "使用说明" not in draft["content"]  # nor the export's how-to box
    assert "<h1" not in draft["content"]  # WeChat shows the title itself
    assert "第二段，群众意见。" in draft["content"]

    page = detail(client, world, article)
    assert publication.article_url in page and "已发布到公众号" in page
    assert "发布到微信公众号</button>" not in page
    entry = AuditEntry.objects.get(action="article.wechat_requested", object_id=str(article.pk))
    assert entry.actor == world.users["kf_office"]

    # A second article reuses the token in the shared cache.
    second = published(world, title="第二篇稿件", images=0)
    publish(client, world, second, capture=django_capture_on_commit_callbacks)
    run_worker()
    assert WeChatPublication.objects.get(article=second).state == P.PUBLISHED
    assert wx.stats()["token_requests"] == 1
    assert len(set(wx.tokens_used)) == 1
    # No picture: the cover is a generated banner.
    assert wx.stats()["materials"] == 2


def test_an_expired_token_is_fetched_again_once(world, wx, account):
    alice = world.users["kf_office"]
    tasks.check_account(alice, account)  # the token is now in the cache
    wx.expire_token()
    article = published(world, images=1)
    publication, created = tasks.request_publication(alice, article, site_url="https://kf.example")
    assert created
    tasks.publish_to_wechat.enqueue(publication.pk)
    run_worker()
    publication.refresh_from_db()
    assert publication.state == P.PUBLISHED
    assert wx.stats()["token_requests"] == 2  # the test's, then one refresh
    assert len(set(wx.tokens_used)) == 1  # the expired one was never accepted


# --- Errors -----------------------------------------------------------------------------------

ERRORS = [
    ("ip_whitelist", lambda wx: wx.fail(40164), "IP白名单"),
    ("quota", lambda wx: wx.fail(45009, path="/cgi-bin/draft/add"), "调用次数已达上限"),
    (
        "unverified",
        lambda wx: wx.fail(48001, path="/cgi-bin/freepublish/submit"),
        "已认证",
    ),
    ("publish_check", lambda wx: wx.fail(53503, path="/cgi-bin/freepublish/submit"), "发布检查"),
    ("platform_review", lambda wx: wx.publish_result(4), "平台审核"),
    ("ordinary_failure", lambda wx: wx.publish_result(3), "常规失败"),
]


@pytest.mark.parametrize(("name", "arrange", "fragment"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_error_is_recorded_with_its_reason(
    world, client, wx, account, caplog, name, arrange, fragment
):
    arrange(wx)
    article = published(world, images=1)
    publication, _ = tasks.request_publication(world.users["kf_office"], article)
    tasks.publish_to_wechat.enqueue(publication.pk)
    with caplog.at_level(logging.WARNING, logger="openday.wechat"):
        run_worker()
    publication.refresh_from_db()
    assert publication.state == P.FAILED
    assert fragment in publication.error
    assert publication.finished_at is not None
    assert any(r.levelno >= logging.ERROR for r in caplog.records)  # logged
    [task] = DBTaskResult.objects.filter(
        task_path=tasks.publish_to_wechat.module_path, status="FAILED"
    )
    assert task.exception_class_path.endswith("PublishFailed")
    page = detail(client, world, article)
    assert fragment in page and "发布失败" in page
    assert ">重试</button>" in page


def test_a_failure_does_not_stop_the_worker_and_is_shown_to_operators(world, client, wx, account):
    from openday.ops import status

    alice = world.users["kf_office"]
    wx.fail(40164, path="/cgi-bin/material/add_material", times=1)
    first, second = published(world, title="第一篇"), published(world, title="第二篇")
    for article in (first, second):
        publication, _ = tasks.request_publication(alice, article)
        tasks.publish_to_wechat.enqueue(publication.pk)
    run_worker()
    states = sorted(WeChatPublication.objects.values_list("state", flat=True))
    assert states == [P.FAILED, P.PUBLISHED]
    facts = status.gather()
    assert facts["tasks"]["failed_last_day"] == 1
    assert facts["tasks"]["recent_failures"][0]["task"] == "publish_to_wechat"
    assert any("后台任务失败" in p for p in facts["problems"])
    page = world.client_for(client, "operator").get("/staff/status/").content.decode()
    assert "publish_to_wechat" in page


def test_a_passing_failure_is_tried_again_until_it_works(world, wx, account):
    wx.fail(-1, path="/cgi-bin/draft/add", times=2)  # WeChat busy, twice
    article = published(world, images=1)
    publication, _ = tasks.request_publication(world.users["kf_office"], article)
    tasks.publish_to_wechat.enqueue(publication.pk)
    run_worker()
    publication.refresh_from_db()
    assert publication.state == P.PUBLISHED
    stats = wx.stats()
    assert stats["calls"]["/cgi-bin/draft/add"] == 3
    # What had worked was not done again.
    assert stats["materials"] == 1 and stats["images"] == 1 and len(wx.draft_articles()) == 1


def test_a_timeout_is_retried_a_bounded_number_of_times(world, wx, account, monkeypatch):
    monkeypatch.setattr(wechat_mp, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(tasks, "MAX_ATTEMPTS", 2)
    wx.hang("/cgi-bin/draft/add", 1.0)
    article = published(world, images=0)
    publication, _ = tasks.request_publication(world.users["kf_office"], article)
    tasks.publish_to_wechat.enqueue(publication.pk)
    run_worker()
    publication.refresh_from_db()
    assert publication.state == P.FAILED
    assert publication.error == wechat_mp.TIMED_OUT
    assert publication.attempts == 1


def test_an_unreachable_server_and_a_wrong_secret_are_said_in_chinese(world, wx, account):
    alice = world.users["kf_office"]
    ok, message = tasks.check_account(alice, account)
    assert ok and "连接成功" in message
    tasks.save_account(
        alice,
        world.kaifu,
        app_id=APP_ID,
        secret="wrongsecret0123456789",
        enabled=True,
        base_url=wx.url,
    )
    account.refresh_from_db()
    ok, message = tasks.check_account(alice, account)
    assert not ok and "开发者密码（AppSecret）无效" in message
    account.refresh_from_db()
    assert account.test_ok is False and account.test_message == message
    closed = FakeWeChat()  # bound, never started, then closed: nothing listens there
    url = closed.url
    closed.server.server_close()
    tasks.save_account(
        world.users["operator"], world.kaifu, app_id=APP_ID, enabled=True, base_url=url
    )
    account.refresh_from_db()
    ok, message = tasks.check_account(alice, account)
    assert not ok and "api.weixin.qq.com" in message


# --- One publication at a time, and retry -----------------------------------------------------


def test_a_second_click_makes_no_second_publication(
    world, client, wx, account, django_capture_on_commit_callbacks
):
    article = published(world)
    c = world.client_for(client, "kf_office")
    url = reverse("control:article_action", args=[article.pk, "wechat"])
    with django_capture_on_commit_callbacks(execute=True):
        c.post(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(url, follow=True)
    assert response.status_code == 200
    assert WeChatPublication.objects.filter(article=article).count() == 1
    assert DBTaskResult.objects.count() == 1
    page = response.content.decode()
    assert "无需重复提交" in page
    assert "发布到微信公众号</button>" not in page  # nothing to click while it is under way
    assert AuditEntry.objects.filter(action="article.wechat_requested").count() == 1


def test_after_a_failure_retry_publishes(
    world, client, wx, account, django_capture_on_commit_callbacks
):
    wx.fail(40164)
    article = published(world, images=1)
    publish(client, world, article, capture=django_capture_on_commit_callbacks)
    run_worker()
    assert WeChatPublication.objects.get(article=article).state == P.FAILED
    wx.clear_failures()
    publish(client, world, article, capture=django_capture_on_commit_callbacks)
    run_worker()
    latest = tasks.latest_publication(article)
    assert latest.state == P.PUBLISHED
    assert WeChatPublication.objects.filter(article=article).count() == 2
    # Published once: no button to publish it again.
    page = detail(client, world, article)
    assert "发布到微信公众号</button>" not in page and ">重试</button>" not in page
    with pytest.raises(tasks.Refused):
        tasks.request_publication(world.users["kf_office"], article)


def test_only_a_published_article_with_an_enabled_account_can_go(world, wx, account):
    alice = world.users["kf_office"]
    draft = services.create_article(
        world.users["unit_staff"], world.housing, title="草稿", body="正文"
    )
    with pytest.raises(tasks.Refused, match="已审核发布"):
        tasks.request_publication(alice, draft)
    tasks.save_account(alice, world.kaifu, app_id=APP_ID, enabled=False, base_url=wx.url)
    with pytest.raises(tasks.Refused, match="尚未设置或未启用"):
        tasks.request_publication(alice, published(world))


# --- The account page and its secret ----------------------------------------------------------


def test_the_secret_is_never_shown_logged_or_audited(
    world, client, wx, caplog, django_capture_on_commit_callbacks
):
    secret = "s3cretS3cretS3cretS3cret0000abcd"
    wx.secret = secret
    c = world.client_for(client, "kf_office")
    url = reverse("control:wechat_account", args=[world.kaifu.pk])
    with caplog.at_level(logging.DEBUG):
        response = c.post(
            url,
            {"app_id": APP_ID, "secret": secret, "author_name": "开福发布", "enabled": "on"},
        )
        assert response.status_code == 302, response.content.decode()
        account = WeChatAccount.objects.get(office=world.kaifu)
        assert account.secret == secret and secret not in account.secret_encrypted
        # Only an operator may point the account elsewhere (here: at the fake).
        world.client_for(client, "operator").post(
            url, {"app_id": APP_ID, "enabled": "on", "base_url": wx.url}
        )
        account.refresh_from_db()
        assert account.base_url == wx.url and account.secret == secret  # blank keeps it
        c = world.client_for(client, "kf_office")
        c.post(url, {"app_id": APP_ID, "enabled": "on", "base_url": "http://10.0.0.1"})
        account.refresh_from_db()
        assert account.base_url == wx.url
        page = c.get(url).content.decode()
        test = c.post(reverse("control:wechat_account_test", args=[world.kaifu.pk]), follow=True)
        assert "连接成功" in test.content.decode()
        article = published(world)
        publish(client, world, article, capture=django_capture_on_commit_callbacks)
        run_worker()
        article_page = detail(client, world, article)
    assert WeChatPublication.objects.get(article=article).state == P.PUBLISHED
    assert wx.stats()["token_requests"] >= 1  # the secret did reach WeChat
    assert secret not in page and "已设置" in page
    assert secret not in test.content.decode() and secret not in article_page
    for entry in AuditEntry.objects.all():
        assert secret not in json.dumps(entry.changes, ensure_ascii=False)
    assert AuditEntry.objects.filter(action="wechat_account.created").exists()
    changed = AuditEntry.objects.filter(action="wechat_account.changed").first()
    assert changed is not None and "base_url" in changed.changes
    for record in caplog.records:
        assert secret not in record.getMessage()
    assert "开发者密码（AppSecret）" in json.dumps(
        AuditEntry.objects.get(action="wechat_account.created").changes, ensure_ascii=False
    )


def test_a_bad_app_id_is_refused_and_what_was_typed_is_kept(world, client):
    c = world.client_for(client, "kf_office")
    url = reverse("control:wechat_account", args=[world.kaifu.pk])
    response = c.post(url, {"app_id": "not-an-appid", "secret": "abc", "author_name": "开福"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "以 wx 开头" in page and "not-an-appid" in page and "开福" in page
    assert 'value="abc"' not in page
    response = c.post(url, {"app_id": APP_ID, "enabled": "on"})
    assert response.status_code == 400 and "启用前请填写" in response.content.decode()
    assert not WeChatAccount.objects.exists()


# --- Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("operator", True),
        ("kf_office", True),
        ("kf_viewer", False),
        ("unit_admin", False),
        ("unit_staff", False),
        ("handler", False),
        ("nm_office", False),
        ("town_admin", False),
    ],
)
def test_publishing_as(world, client, wx, account, persona, allowed):
    article = published(world, images=0)
    response = publish(client, world, article, persona=persona)
    assert response.status_code == (302 if allowed else 403)
    assert WeChatPublication.objects.filter(article=article).exists() == allowed


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("operator", True),
        ("kf_office", True),
        ("kf_viewer", False),
        ("unit_admin", False),
        ("unit_staff", False),
        ("handler", False),
        ("nm_office", False),
        ("town_admin", False),
        ("town_handler", False),
        ("norole", False),
    ],
)
def test_testing_the_connection_as(world, client, wx, account, persona, allowed):
    url = reverse("control:wechat_account_test", args=[world.kaifu.pk])
    response = world.client_for(client, persona).post(url)
    assert response.status_code == (302 if allowed else 403)
    account.refresh_from_db()
    assert (account.tested_at is not None) == allowed
    if not allowed:
        assert world.client_for(client, persona).get(url).status_code in (403, 405)


def test_the_publish_button_is_offered_to_the_office_only(world, client, wx, account):
    article = published(world, images=0)
    assert "发布到微信公众号</button>" in detail(client, world, article, "kf_office")
    assert "发布到微信公众号</button>" in detail(client, world, article, "operator")
    for persona in ("unit_admin", "unit_staff", "kf_viewer"):
        page = detail(client, world, article, persona)
        assert "发布到微信公众号</button>" not in page
        assert reverse("control:wechat_account", args=[world.kaifu.pk]) not in page


def test_only_an_operator_points_the_account_at_another_server(world, wx):
    alice = world.users["kf_office"]
    account = tasks.save_account(alice, world.kaifu, app_id=APP_ID, base_url="http://10.0.0.1")
    assert account.base_url == "https://api.weixin.qq.com"
    account = tasks.save_account(
        world.users["operator"], world.kaifu, app_id=APP_ID, base_url=wx.url
    )
    assert account.base_url == wx.url
    account = tasks.save_account(alice, world.kaifu, app_id=APP_ID, base_url="http://10.0.0.1")
    assert account.base_url == wx.url


def test_unit_staff_cannot_configure_the_account(world):
    from django.core.exceptions import PermissionDenied

    for persona in ("unit_admin", "unit_staff", "nm_office"):
        with pytest.raises(PermissionDenied):
            tasks.save_account(world.users[persona], world.kaifu, app_id=APP_ID)
