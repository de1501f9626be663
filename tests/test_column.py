"""The public special column (活动专栏), the article page, images and photos, and the API."""

import pytest
from django.core.files.base import ContentFile

from openday.demo.publicity import placeholder_png
from openday.publicity import services
from openday.publicity.models import Article
from openday.summaries.models import EventPhoto

from .test_publicity import draft, kaifu_campaign, make_event, media, png, published  # noqa: F401

S = Article.Status


@pytest.fixture
def column(world):
    """The 开福区 2023 campaign: an upcoming event, a held one with photos, articles in every state."""
    from openday.events import services as events

    campaign = kaifu_campaign(world)
    upcoming = make_event(world, campaign=campaign, days=10)
    held = make_event(world, campaign=campaign, days=-3,
                      title=f"{world.housing.name}2023年“政务公开主题日”活动暨现场观摩")  # fmt: skip
    events.set_status(world.users["unit_admin"], held, held.Status.HELD)
    staff = world.users["unit_staff"]
    news = draft(world, event=held, title="老旧小区改造现场观摩活动成功举办",
                 lead="群众代表走进项目现场。", body="正文第一段。\n\n[图1]\n\n尾段")  # fmt: skip
    services.add_image(staff, news, png(6, 4))
    services.submit_article(staff, news)
    services.approve_article(world.users["kf_office"], news)
    announcement = published(world, event=upcoming, kind="announcement",
                             title="活动预告｜老旧小区改造现场观摩")  # fmt: skip
    hidden = {
        "draft": draft(world, campaign=campaign, title="还在写的草稿"),
        "submitted": draft(world, campaign=campaign, title="等待审核的稿件"),
        "withdrawn": published(world, campaign=campaign, title="已撤回的稿件"),
    }
    services.submit_article(staff, hidden["submitted"])
    services.withdraw_article(world.users["kf_office"], hidden["withdrawn"], reason="错误")
    photo = EventPhoto(event=held, caption="现场照片", public=True, width=6, height=4)
    photo.image.save("p.png", ContentFile(placeholder_png(6, 4)), save=True)
    private = EventPhoto(event=held, caption="内部照片", public=False)
    private.image.save("q.png", ContentFile(placeholder_png(6, 4)), save=True)
    return {"campaign": campaign, "upcoming": upcoming, "held": held, "news": news,
            "announcement": announcement, "photo": photo, "private": private, **hidden}  # fmt: skip


def test_the_column_shows_events_articles_photos_and_the_results_board(world, client, column):
    c = column["campaign"]
    page = client.get(f"/campaigns/{c.pk}/column/")
    text = page.content.decode()
    assert page.status_code == 200
    for words in (c.title, "活动专栏", "老旧小区改造现场观摩活动成功举办", "群众代表走进项目现场。",
                  "活动预告｜老旧小区改造现场观摩", f"/events/{column['upcoming'].pk}/#reg-h",
                  f"/opinions/board/?event={column['held'].pk}",
                  f"/column/photos/{column['photo'].pk}", "计划安排"):  # fmt: skip
        assert words in text, words
    for hidden in ("还在写的草稿", "等待审核的稿件", "已撤回的稿件", "内部照片"):
        assert hidden not in text, hidden
    assert page.context["upcoming"] == [column["upcoming"]]
    assert page.context["held"] == [column["held"]]


def test_the_column_page_takes_a_fixed_number_of_queries(world, client, column,
                                                        django_assert_max_num_queries):  # fmt: skip
    for i in range(6):
        published(world, campaign=column["campaign"], title=f"稿件{i}")
    with django_assert_max_num_queries(10):
        assert client.get(f"/campaigns/{column['campaign'].pk}/column/").status_code == 200


def test_searching_filtering_and_paging_the_column(world, client, column):
    c = column["campaign"]
    for i in range(11):
        published(world, campaign=c, title=f"批量稿件{i:02d}", body=f"第{i}篇的正文，关键词星光{i}")
    url = f"/campaigns/{c.pk}/column/"
    first = client.get(url)
    assert first.context["page"].paginator.count == 13
    assert len(first.context["page"]) == 10
    second = client.get(url + "?page=2")
    assert len(second.context["page"]) == 3
    assert "page=2" in first.content.decode()
    found = client.get(url, {"q": "星光7"})
    assert [a.title for a in found.context["page"]] == ["批量稿件07"]
    assert "共 1 篇" in found.content.decode()
    none = client.get(url, {"q": "没有这个词"})
    assert "没有找到" in none.content.decode()
    kind = client.get(url, {"kind": "announcement"})
    assert [a.title for a in kind.context["page"]] == ["活动预告｜老旧小区改造现场观摩"]
    assert client.get(url, {"page": "999"}).context["page"].number == 2


def test_an_empty_column_says_so(world, client):
    from openday.campaigns.models import Campaign

    kaifu_campaign(world)
    naiman = Campaign.objects.get(office=world.naiman, year=2023)
    text = client.get(f"/campaigns/{naiman.pk}/column/").content.decode()
    assert "本专栏还没有发布文章" in text and "暂无即将举办的活动" in text


def test_the_article_page_counts_views_in_the_database(world, client, column):
    news = column["news"]
    updated = Article.objects.get(pk=news.pk).updated_at
    page = client.get(f"/articles/{news.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert news.title in text and "尾段" in text and "阅读 1" in text
    assert f'src="/articles/images/{news.images.get().pk}"' in text
    client.get(f"/articles/{news.pk}/")
    news.refresh_from_db()
    assert news.views == 2 and news.updated_at == updated


@pytest.mark.parametrize("state", ["draft", "submitted", "withdrawn"])
def test_unpublished_articles_are_not_found(world, client, column, state):
    article = column[state]
    assert client.get(f"/articles/{article.pk}/").status_code == 404
    staff = world.client_for(client, "kf_office")
    assert staff.get(f"/articles/{article.pk}/").status_code == 404
    article.refresh_from_db()
    assert article.views == 0


def test_nothing_of_a_draft_campaign_is_public(world, client):
    from openday.campaigns import services as campaigns

    fields = campaigns.preset_fields("theme_day", world.kaifu, 2031)
    campaign = campaigns.create_campaign(world.users["kf_office"], world.kaifu, **fields)
    a = published(world, campaign=campaign)
    assert a.status == S.PUBLISHED
    assert client.get(f"/campaigns/{campaign.pk}/column/").status_code == 404
    assert client.get(f"/articles/{a.pk}/").status_code == 404
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/articles").status_code == 404


def test_images_are_public_with_the_article_and_private_before(world, client, column):
    public = column["news"].images.get()
    response = client.get(f"/articles/images/{public.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    hidden = column["draft"]
    image = services.add_image(world.users["unit_staff"], hidden, png())
    assert client.get(f"/articles/images/{image.pk}").status_code == 404
    assert (
        world.client_for(client, "unit_staff").get(f"/articles/images/{image.pk}").status_code
        == 200
    )
    assert (
        world.client_for(client, "nm_office").get(f"/articles/images/{image.pk}").status_code == 404
    )


def test_only_public_photos_are_served(world, client, column):
    assert client.get(f"/column/photos/{column['photo'].pk}").status_code == 200
    assert client.get(f"/column/photos/{column['private'].pk}").status_code == 404


def test_the_column_reads_in_elderly_mode(world, client, column):
    client.cookies["od_care"] = "1"
    page = client.get(f"/campaigns/{column['campaign'].pk}/column/")
    assert 'class="portal care"' in page.content.decode()
    article = client.get(f"/articles/{column['news'].pk}/")
    assert 'class="portal care"' in article.content.decode()


def test_the_campaign_and_event_pages_link_to_the_column(world, client, column):
    c = column["campaign"]
    text = client.get(f"/campaigns/{c.pk}/").content.decode()
    assert f"/campaigns/{c.pk}/column/" in text and "老旧小区改造现场观摩活动成功举办" in text
    text = client.get(f"/events/{column['held'].pk}/").content.decode()
    assert f"/articles/{column['news'].pk}/" in text and f"/campaigns/{c.pk}/column/" in text


# --- API -----------------------------------------------------------------------------------------


def test_the_api_lists_a_campaigns_published_articles(world, client, column):
    c = column["campaign"]
    body = client.get(f"/api/v1/campaigns/{c.pk}/articles").json()
    assert body["count"] == 2 and body["offset"] == 0 and body["limit"] == 20
    first = body["results"][0]
    assert set(first) == {"id", "title", "kind", "kind_label", "lead", "unit", "event_id",
                          "event_title", "campaign_id", "published_at", "url", "images"}  # fmt: skip
    by_id = {r["id"]: r for r in body["results"]}
    news = by_id[column["news"].pk]
    assert news["unit"] == world.housing.name and news["event_id"] == column["held"].pk
    assert news["lead"] == "群众代表走进项目现场。" and news["kind"] == "news"
    assert news["url"] == f"http://testserver/articles/{column['news'].pk}/"
    image = column["news"].images.get()
    assert news["images"] == [{"url": f"http://testserver/articles/images/{image.pk}",
                               "caption": "", "width": 6, "height": 4}]  # fmt: skip
    assert news["published_at"].startswith(str(column["news"].published_at.year))
    page = client.get(f"/api/v1/campaigns/{c.pk}/articles", {"offset": 1, "limit": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1
    assert page["results"][0]["id"] == body["results"][1]["id"]
    found = client.get(f"/api/v1/campaigns/{c.pk}/articles", {"q": "成功举办"}).json()
    assert [r["id"] for r in found["results"]] == [column["news"].pk]


def test_the_api_answers_unknown_and_unpublished_in_the_one_error_shape(world, client, column):
    for url in ("/api/v1/campaigns/999999/articles", f"/api/v1/articles/{column['draft'].pk}",
                f"/api/v1/articles/{column['withdrawn'].pk}", "/api/v1/articles/999999"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
    bad = client.get(f"/api/v1/campaigns/{column['campaign'].pk}/articles", {"limit": 0})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    kind = client.get(f"/api/v1/campaigns/{column['campaign'].pk}/articles", {"kind": "x"})
    assert kind.status_code == 422


def test_the_api_gives_one_article_with_its_body(world, client, column):
    news = column["news"]
    body = client.get(f"/api/v1/articles/{news.pk}").json()
    assert body["id"] == news.pk and body["body"] == news.body
    assert (
        "<figure" in body["body_html"] and "http://testserver/articles/images/" in body["body_html"]
    )
    assert body["views"] == 0
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/campaigns/{campaign_id}/articles" in spec["paths"]
