"""Demo articles for the special columns: 沙日浩来镇's open day (an announcement before it, a news
report with a photo after it), the 开福区 housing bureau's event and the 开福区 office's notice.
Written through the services, so the audit log and the review flow look as they would."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from openday.accounts.models import User
from openday.campaigns.models import Campaign
from openday.events.models import Event
from openday.lib.images import rgb_png
from openday.orgs.models import Org
from openday.publicity import services
from openday.publicity.models import Article

TOWN = "沙日浩来镇人民政府"
HOUSING = "开福区住房和城乡建设局"
KAIFU_OFFICE = "开福区政务公开政务服务工作领导小组办公室"


def placeholder_png(width=480, height=320, top=(179, 38, 30), bottom=(244, 180, 0)):
    """A vertical two-colour gradient as an 8-bit RGB PNG."""
    rows = []
    for y in range(height):
        t = y / max(height - 1, 1)
        rows.append(bytes(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)) * width)
    return rgb_png(width, height, rows)


def _publish(article, writer, reviewer, published_at):
    services.submit_article(writer, article)
    services.approve_article(reviewer, article)
    Article.objects.filter(pk=article.pk).update(
        submitted_at=published_at - timedelta(hours=2),
        reviewed_at=published_at,
        published_at=published_at,
    )


def _with_photo(article, writer, caption, colours):
    image = ContentFile(placeholder_png(top=colours[0], bottom=colours[1]), name="现场照片.png")
    services.add_image(writer, article, image, caption=caption)
    paragraphs = article.body.split("\n\n")
    paragraphs.insert(1, "[图1]")
    services.update_article(writer, article, body="\n\n".join(paragraphs))


def _users(*names):
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    return [users.get(n) for n in names]


def load_demo_publicity(year: int = 2023) -> None:
    """Idempotent: each demo article is made once (looked up by its event or campaign)."""
    with transaction.atomic():
        _town(year)
        _kaifu(year)


def _town(year: int) -> None:
    from openday.demo.services import town_event_title

    town = Org.objects.filter(name=TOWN).first()
    event = Event.objects.filter(unit=town, title=town_event_title(year)).first() if town else None
    admin, office = _users("shrhl-admin", "nm-office")
    if event is None or admin is None or office is None:
        return
    if not Article.objects.filter(event=event, kind=Article.Kind.ANNOUNCEMENT).exists():
        a = services.generate_announcement(event, admin)
        services.update_article(admin, a, author_name="沙日浩来镇党政综合办公室")
        _publish(a, admin, office, event.starts_at - timedelta(days=6))
    ended = event.ends_at < timezone.now()
    if ended and not Article.objects.filter(event=event, kind=Article.Kind.NEWS).exists():
        news = services.generate_news_draft(event, admin)
        services.update_article(admin, news, author_name="沙日浩来镇党政综合办公室")
        _with_photo(
            news, admin, "群众代表在综合服务大厅了解办事流程", ((179, 38, 30), (244, 180, 0))
        )
        _publish(news, admin, office, event.ends_at + timedelta(hours=5))


def _kaifu(year: int) -> None:
    from openday.demo.services import housing_event_title

    housing = Org.objects.filter(name=HOUSING).first()
    office_org = Org.objects.filter(name=KAIFU_OFFICE).first()
    admin, office = _users("kf-unit-admin", "kf-office")
    if housing is None or office_org is None or admin is None or office is None:
        return
    event = Event.objects.filter(unit=housing, title=housing_event_title(year)).first()
    if event is not None and not Article.objects.filter(event=event).exists():
        a = services.generate_announcement(event, admin)
        _with_photo(a, admin, "老旧小区改造项目现场", ((11, 87, 208), (155, 211, 174)))
        # Shown in the column once the unit publishes its event.
        _publish(a, admin, office, event.starts_at - timedelta(days=7))
    campaign = Campaign.objects.filter(office=office_org, year=year).first()
    if campaign is None or Article.objects.filter(campaign=campaign, unit=office_org).exists():
        return
    notice = services.create_article(
        office,
        office_org,
        kind=Article.Kind.NOTICE,
        campaign=campaign,
        title=f"开福区{year}年“政务公开主题日”活动计划安排表发布",
        lead="全区各单位围绕八大主题领域开展“政务公开主题日”活动，欢迎群众关注、报名参加。",
        body=(
            f"根据《开福区{year}年“政务公开主题日”活动实施方案》，区政务公开办汇总各单位申报的活动主题，"
            f"编制了{year}年{campaign.window_start_month}月至{campaign.window_end_month}月的活动计划安排表，"
            "现予发布。\n\n"
            "各单位将围绕改革开放、品质城市、营商环境、乡村振兴、蓝天碧水、民生实事、社会治理和"
            "政府自身建设等主题，采取实地调研、现场观摩、座谈交流、政策发布、问卷调查等形式开展活动。\n\n"
            "每场活动的时间、地点和报名方式将在本专栏的“活动预告”中发布，群众可以在手机上直接报名；"
            "活动中收集的意见建议，办理和整改结果也将在本专栏公开。"
        ),
        author_name="开福区政务公开办",
    )
    published = campaign.plan_published_at or campaign.notice_published_at
    if published is not None:
        _publish(notice, office, office, published + timedelta(hours=2))
