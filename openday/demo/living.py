"""The living demo year: what `openday demo` builds around today.

Last year is the complete history (the seeds' loaders, moved to last year: campaigns, plans,
events, survey, opinions, articles, summary, evaluation). This year, for both seeds, is
built around today: declarations in every state and a published plan; for 开福区 an event
held a month ago (summary, opinions in every state, published results, call-backs), one
that ended a few days ago (no summary yet, its questionnaire still open), two upcoming
ones open for registration (one nearly full, with a waitlist); for 沙日浩来镇 its open day
today, with check-ins.

Everything is written by the services, so audit entries, notifications and messages are
what the screens would have made; the past is then dated back (see `_backdated`).

Idempotent: this year's part of an office is built once, when its campaign of this year
does not exist yet (in one transaction). On a later day of the same year nothing changes;
in a new year a run adds that year (last year's history becomes the year that was lived).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.db.models import F, Max
from django.utils import timezone

from openday.accounts.models import User
from openday.audit.models import AuditEntry
from openday.campaigns import services as campaigns
from openday.campaigns.models import Campaign, Declaration, DeclarationEvent, PlanEntry
from openday.events import services as events
from openday.events.models import Event, Registration
from openday.messaging.models import Notification, OutboundMessage
from openday.opinions import services as ops
from openday.opinions.models import Callback, Opinion, RectificationStep
from openday.orgs.models import Org
from openday.publicity import services as publicity
from openday.summaries import photos
from openday.summaries import services as summaries
from openday.summaries.models import EventPhoto, EventSummary
from openday.surveys import services as surveys
from openday.surveys.models import Answer, Response, Survey
from openday.workdays.services import add_working_days, is_working_day

from . import campaign_data as data
from . import seed_data as seed
from .evaluation import load_demo_evaluation
from .publicity import _publish, load_demo_publicity
from .services import (
    DEMO_GIVEN,
    DEMO_SURNAMES,
    load_demo_campaigns,
    load_demo_events,
    load_demo_opinions,
    load_demo_surveys,
    log_demo_call,
    town_event_fields,
    town_event_title,
)
from .summaries import demo_png, load_demo_summaries

SHANGHAI = ZoneInfo("Asia/Shanghai")
USERNAMES = ("kf-office", "kf-unit-admin", "kf-handler", "nm-office", "shrhl-admin")

# This year's declarations: one unit has not started, one keeps a draft, one waits for review,
# one was returned, one was late (and approved); the others were approved.
DRAFT_UNIT = "沙坪街道"
PENDING_UNIT = "青竹湖街道"


def load_living_year(today: date | None = None) -> None:
    """Last year's history and this year's campaigns around today; safe to run again.

    today is timezone.localdate() (the default); times are placed relative to
    timezone.now(), and nothing is dated after it."""
    today = today or timezone.localdate()
    history = today.year - 1
    users = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
    (mark,) = _marks([OutboundMessage])
    load_demo_campaigns(year=history)
    load_demo_events(year=history)
    if len(users) == len(USERNAMES):
        _finish_history(history, users)
    load_demo_surveys(year=history)
    load_demo_opinions(year=history)
    load_demo_publicity(year=history)
    load_demo_summaries(year=history)
    load_demo_evaluation(year=history)
    # Last year's messages (confirmations, results) went out last year: the worker must not
    # send them now. Their time is not known here, so they count as sent when written.
    OutboundMessage.objects.filter(pk__gt=mark, status=OutboundMessage.Status.PENDING).update(
        status=OutboundMessage.Status.SENT, sent_at=F("created_at")
    )
    if len(users) < len(USERNAMES):
        return
    with transaction.atomic():
        Kaifu(today, users).build()
    with transaction.atomic():
        Town(today, users).build()
    # The town's announcement before its open day and 开福区's plan notice of this year.
    load_demo_publicity(year=today.year)


# --- Dates and dating back ----------------------------------------------------------------------


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def workday_on_or_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def workday_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# Rows made inside a _backdated block get its moment in these fields.
DATED: list[tuple[type[models.Model], tuple[str, ...]]] = [
    (AuditEntry, ("created_at",)),
    (Notification, ("created_at",)),
    (DeclarationEvent, ("created_at",)),
    (Event, ("created_at",)),
    (Registration, ("created_at", "consent_at")),
    (Opinion, ("created_at",)),
    (RectificationStep, ("created_at",)),
    (EventPhoto, ("uploaded_at",)),
    (Survey, ("created_at",)),
]


def _marks(tables: list[type[models.Model]]) -> list[int]:
    """The highest id of each table, in one query."""
    names = [connection.ops.quote_name(m._meta.db_table) for m in tables]
    sql = ", ".join(f"(SELECT MAX(id) FROM {name})" for name in names)  # noqa: S608 - model tables
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + sql)
        row = cursor.fetchone()
    return [n or 0 for n in row]


@contextmanager
def _backdated(moment: datetime) -> Iterator[None]:
    """Run services as if at moment: what they create gets moment as its time, and the
    messages they queue count as sent then (the worker does not send old news now).
    A moment that has not passed yet changes nothing."""
    tables = [m for m, _fields in DATED] + [OutboundMessage]
    before = _marks(tables)
    yield
    if moment >= timezone.now():
        return
    after = _marks(tables)
    for (model, fields), old, new in zip(DATED, before, after, strict=False):
        if new > old:
            model._default_manager.filter(pk__gt=old).update(**dict.fromkeys(fields, moment))
    if after[-1] > before[-1]:
        OutboundMessage.objects.filter(
            pk__gt=before[-1], status=OutboundMessage.Status.PENDING
        ).update(created_at=moment, status=OutboundMessage.Status.SENT, sent_at=moment)


def _past(moment: datetime, now: datetime) -> datetime:
    """moment, or a little before now when moment has not come yet."""
    return min(moment, now - timedelta(minutes=5))


# --- Last year ----------------------------------------------------------------------------------


def _finish_history(year: int, users: dict[str, User]) -> None:
    """Last year is over: the seeds leave 开福区's housing event a draft, but it was published
    and held; an event of a year that was lived through here and is over counts as held."""
    from .services import housing_event_title

    now = timezone.now()
    draft = Event.objects.filter(title=housing_event_title(year), status=Event.Status.DRAFT)
    over = Event.objects.filter(
        campaign__year=year,
        campaign__office__name__in=[seed.KAIFU_OFFICE, seed.NAIMAN_OFFICE],
        status__in=[Event.Status.OPEN, Event.Status.CLOSED],
    )
    for event in [*draft, *over]:
        if event.ends_at >= now:
            continue
        kaifu = event.unit.path.startswith(Org.objects.get(name=seed.KAIFU_OFFICE).path)
        actor = users["kf-office" if kaifu else "nm-office"]
        with transaction.atomic():
            if event.status == Event.Status.DRAFT:
                with _backdated(event.starts_at - timedelta(days=14)):
                    event = events.publish_event(actor, event)
            with _backdated(event.ends_at + timedelta(minutes=10)):
                events.set_status(actor, event, Event.Status.HELD)


# --- One live event -----------------------------------------------------------------------------


@dataclass
class Plan:
    """One of this year's events: who holds it, when, and how many seats."""

    unit: str
    subtitle: str
    day: date
    start: tuple[int, int]
    end: tuple[int, int]
    capacity: int
    quotas: dict[str, int]
    venues: list[dict[str, str]]


class Living:
    """What both offices' years share: a campaign, its plan, events, registrations."""

    preset = ""
    office_name = ""
    seed_window = (4, 11)
    campaign: Campaign

    def __init__(self, today: date, users: dict[str, User]):
        self.today = today
        self.now = timezone.now()
        self.year = today.year
        self.users = users
        self.office = Org.objects.get(name=self.office_name)
        self.actor = users["kf-office" if self.preset == "theme_day" else "nm-office"]

    def campaign_for(self, day: date) -> Campaign:
        """The campaign an event on day belongs to: last year's until 31 December, this
        year's after (an upcoming event in January still belongs to this year's campaign)."""
        year = day.year if day.year < self.year else self.year
        found = Campaign.objects.filter(office=self.office, year=year).first()
        return found or self.campaign

    def window(self, days: list[date]) -> tuple[int, int]:
        """The seed's months, stretched to hold this year's events (by their ISO week)."""
        months = [
            (d + timedelta(days=3 - d.weekday())).month
            for d in days
            if (d + timedelta(days=3 - d.weekday())).year == self.year
        ]
        start, end = self.seed_window
        return min([start, *months]), max([end, *months])

    def create_campaign(self, notice_day: date, deadline: date, window: tuple[int, int]) -> None:
        fields = campaigns.preset_fields(self.preset, self.office, self.year)
        fields.update(
            declaration_deadline=deadline,
            window_start_month=window[0],
            window_end_month=window[1],
            **self.campaign_extra(),
        )
        moment = at(notice_day, 10)
        with _backdated(moment):
            campaign = campaigns.create_campaign(self.actor, self.office, **fields)
            campaign = campaigns.issue_notice(self.actor, campaign)
        numbered = Campaign.objects.filter(office=self.office, doc_year=notice_day.year)
        last = numbered.exclude(pk=campaign.pk).aggregate(n=Max("doc_seq"))["n"] or 0
        Campaign.objects.filter(pk=campaign.pk).update(
            doc_year=notice_day.year,
            doc_seq=last + 1,
            notice_issued_on=notice_day,
            notice_published_at=moment,
            created_at=moment - timedelta(days=2),
        )
        campaign.refresh_from_db()
        self.campaign = campaign

    def campaign_extra(self) -> dict[str, Any]:
        return {}

    def declare(
        self, unit: Org, row: dict[str, Any], when: datetime, *, submit: bool, late: bool = False
    ) -> Declaration:
        declaration = campaigns.declaration_for(self.campaign, unit)
        fields = {"contact_name": "办公室", "contact_phone": self.phone_of(unit)}
        with _backdated(when):
            campaigns.save_declaration(self.actor, declaration, fields, [row], submit=submit)
        if submit:
            Declaration.objects.filter(pk=declaration.pk).update(submitted_at=when, is_late=late)
        Declaration.objects.filter(pk=declaration.pk).update(created_at=when)
        return declaration

    def review(self, declaration: Declaration, when: datetime, comment: str = "") -> None:
        with _backdated(when):
            campaigns.review_declaration(
                self.actor, declaration, approve=not comment, comment=comment
            )
        Declaration.objects.filter(pk=declaration.pk).update(reviewed_at=when)

    def phone_of(self, unit: Org) -> str:
        return "0731-8439" + f"{unit.pk:04d}"[-4:]

    def publish_plan(self, plan_day: date, days: dict[str, date]) -> None:
        with _backdated(at(plan_day - timedelta(days=2), 15)):
            campaigns.generate_plan(self.actor, self.campaign)
        # Each event's theme sits in the week the unit chose for it.
        for name, day in days.items():
            entry = self.campaign.plan_entries.filter(unit__name=name).first()
            if entry is None or day.year != self.year:
                continue
            try:
                with _backdated(at(plan_day - timedelta(days=1), 10)):
                    campaigns.move_entry(self.actor, entry, monday(day))
            except ValidationError:
                pass  # a week of a month outside the window: the theme stays where it was
        moment = at(plan_day, 9)
        with _backdated(moment):
            campaigns.publish_plan(self.actor, self.campaign)
        Campaign.objects.filter(pk=self.campaign.pk).update(plan_published_at=moment)

    def event(
        self, p: Plan, actor: User, *, created: date, theme: dict[str, Any] | None = None
    ) -> Event:
        campaign = self.campaign_for(p.day)
        unit = Org.objects.get(parent=self.office, name=p.unit)
        entry = PlanEntry.objects.filter(
            campaign=campaign, unit=unit, week=monday(p.day), event=None
        ).first()
        if theme is None:
            row = entry or PlanEntry.objects.filter(campaign=campaign, unit=unit).first()
            theme = {
                "theme": row.theme if row else p.subtitle,
                "topic_area": row.topic_area if row else "",
                "forms": row.forms if row else [],
                "summary": row.intro if row else "",
            }
        kind = "政务公开主题日" if self.preset == "theme_day" else "政府开放日"
        # The town's open day is named by its short name, as in seed 000.
        name = unit.short_name if self.preset == "open_day" and unit.short_name else unit.name
        title = f"{name}{campaign.year}年“{kind}”活动"
        if p.subtitle:
            title += f"暨{p.subtitle}"
        starts, ends = at(p.day, *p.start), at(p.day, *p.end)
        fields = {
            "title": title,
            "starts_at": starts,
            "ends_at": ends,
            "venues": p.venues,
            "capacity": p.capacity,
            "campaign": campaign,
            "plan_entry": entry,
            **theme,
        }
        if p.day > self.today:
            fields["registration_closes_at"] = at(p.day - timedelta(days=1), 18)
        with _backdated(_past(at(created, 10), self.now)):
            return events.create_event(actor, unit, quotas=p.quotas, publish=True, **fields)

    def register(
        self, event: Event, categories: list[str], first: datetime, *, seed_no: int
    ) -> list[Registration]:
        """People register one by one from first on, online (a few by phone, by staff)."""
        made = []
        for i, category in enumerate(categories):
            k = seed_no * 7 + i
            name = DEMO_SURNAMES[k % len(DEMO_SURNAMES)] + DEMO_GIVEN[(k * 3) % len(DEMO_GIVEN)]
            staff = i % 6 == 5
            when = _past(first + timedelta(hours=5 * i, minutes=7 * i), self.now)
            with _backdated(when):
                r = events.register(
                    event.pk,
                    name=name,
                    phone=f"138{seed_no:02d}{i:06d}",
                    category=category,
                    consent=True,
                    source=Registration.Source.STAFF if staff else Registration.Source.ONLINE,
                    actor=self.actor if staff else None,
                )
            made.append(r)
        return made

    def check_in(self, event: Event, people: list[Registration], actor: User) -> None:
        start = event.starts_at
        for i, r in enumerate(people):
            if r.status != Registration.Status.CONFIRMED or i % 5 == 4:
                continue  # one in five did not come
            when = start - timedelta(minutes=25 - i)
            with _backdated(when):
                events.check_in(actor, event, r.ticket_code)
            if when < self.now:
                Registration.objects.filter(pk=r.pk).update(checked_in_at=when)

    def hold(self, event: Event, actor: User) -> None:
        with _backdated(event.ends_at + timedelta(minutes=10)):
            events.set_status(actor, event, Event.Status.HELD)


# --- 开福区: the theme day -----------------------------------------------------------------------

HOUSING_OPINIONS = [
    # (content, summary, state, decision, answer)
    (
        "老旧小区改造后楼道灯还是经常不亮，希望把声控灯统一换成感应灯，并公布报修电话。",
        "楼道照明更换为感应灯并公布报修电话",
        "published",
        "adopted",
        "已将楼道照明纳入本期改造内容，全部更换为人体感应灯，报修电话已在各单元门口张贴，"
        "物业接报后24小时内修复。",
    ),
    (
        "小区加装电梯的费用怎么分摊，希望出一个明白账，给低楼层住户一个说法。",
        "加装电梯费用分摊方案公开",
        "published",
        "partly",
        "加装电梯的财政补贴标准和各楼层分摊参考比例已在社区公告栏和微信群公布；"
        "具体分摊由各单元业主协商确定，社区将组织协调会，低楼层住户的补偿诉求纳入协商。",
    ),
    (
        "改造期间每天晚上施工到很晚，影响老人和孩子休息，希望八点以后停工。",
        "夜间施工时间",
        "published",
        "explained",
        "按照夜间施工管理规定，已要求施工单位晚上10点前停止高噪声作业；混凝土浇筑等因工艺需要"
        "连续施工的，提前一天在小区公告，难以统一提前到晚上8点停工，请居民理解。",
    ),
    (
        "改造后的停车位划线太窄，稍大一点的车停不进去，建议重新划线。",
        "停车位划线过窄",
        "approved",
        "adopted",
        "已安排施工单位按标准尺寸重新划线，预计两周内完成。",
    ),
    (
        "改造方案公示时间太短，很多老人不会看手机，能不能在单元门口贴纸质公示。",
        "改造方案纸质公示",
        "answered",
        "adopted",
        "后续各批次改造方案将在每个单元门口张贴纸质公示，公示期不少于7天。",
    ),
    (
        "雨污分流改造以后，一楼院子下雨还是积水，请派人来看看。",
        "一楼院子雨后积水",
        "returned",
        "partly",
        "已派人现场查看，将疏通院内排水管。",
    ),
    (
        "外墙保温层施工后有空鼓，担心以后脱落砸到人，请尽快检查。",
        "外墙保温层空鼓",
        "overdue",
        "",
        "",
    ),
    (
        "希望在小区里增加几处适老化扶手和休息座椅。",
        "增设适老化扶手和座椅",
        "assigned",
        "",
        "",
    ),
    (
        "建议把改造资金使用情况在小区公告栏公开，接受居民监督。",
        "改造资金使用情况公开",
        "new",
        "",
        "",
    ),
    (
        "楼道灯坏了很久没人修，改造的时候一起解决吧。",
        "楼道灯报修",
        "merged",
        "",
        "",
    ),
]

SURVEY_ADVICE = [
    "希望重大项目现场调研的名额再多一些，让更多市民参加。",
    "项目介绍很详细，建议把讲解材料放到网上，方便没来的人了解。",
    "建议下次邀请项目周边的居民代表参加座谈。",
]

HOUSING_SUMMARY = {
    "overview": (
        "{date}上午，我局以“老旧小区改造”为主题举办“政务公开主题日”活动，邀请人大代表、政协委员、"
        "新闻媒体和居民代表走进老旧小区改造项目现场，实地察看楼道、管网和停车改造成果，"
        "并在社区党群服务中心召开居民座谈会，现场收集意见建议。"
    ),
    "experiences": (
        "（一）选题贴近群众。围绕居民最关心的楼道照明、加装电梯和停车问题安排观摩路线，"
        "讲解人员由项目负责人担任，群众问得到、答得清。\n"
        "（二）意见当场登记、限时答复。座谈会上的每一条意见都当场登记，明确责任科室和办理期限，"
        "办理结果在本专栏公开。"
    ),
    "shortcomings": (
        "一是座谈时间偏短，部分居民代表未能充分发言；二是活动预告主要通过线上发布，"
        "不使用智能手机的老年居民知晓不多。"
    ),
    "causes": "议程安排过满；线下宣传渠道使用不够，社区公告栏张贴较晚。",
    "next_steps": (
        "一是适当延长座谈时间，会后继续收集书面意见；二是活动预告同时在单元门口和社区公告栏张贴；"
        "三是对收集的意见逐条办理、按期答复并开展电话回访。"
    ),
}

PARK_VENUES = [
    {"name": "开福区老旧小区改造项目现场", "address": "长沙市开福区"},
    {"name": "社区党群服务中心", "address": "长沙市开福区"},
]


class Kaifu(Living):
    preset = "theme_day"
    office_name = seed.KAIFU_OFFICE
    seed_window = (4, 11)

    def __init__(self, today: date, users: dict[str, User]):
        super().__init__(today, users)
        held = workday_on_or_before(today - timedelta(days=30))
        ended = workday_on_or_before(today - timedelta(days=2))
        soon = workday_on_or_after(today + timedelta(days=5))
        later = workday_on_or_after(today + timedelta(days=10))
        self.held = Plan(
            "开福区住房和城乡建设局",
            "老旧小区改造居民座谈会",
            held,
            (9, 0),
            (11, 30),
            30,
            {"deputy": 5, "member": 5, "media": 4, "public": 16},
            PARK_VENUES,
        )
        self.ended = Plan(
            "开福区发展和改革局",
            "重大项目建设现场调研",
            ended,
            (9, 0),
            (11, 30),
            25,
            {"deputy": 6, "member": 6, "expert": 4, "business": 4, "public": 5},
            [{"name": "开福区重点项目建设现场", "address": "长沙市开福区"}],
        )
        self.soon = Plan(
            "开福区民政局",
            "养老服务设施开放体验",
            soon,
            (9, 30),
            (11, 30),
            30,
            {"deputy": 4, "member": 4, "public": 22},
            [{"name": "开福区社区养老服务中心", "address": "长沙市开福区"}],
        )
        self.full = Plan(
            "开福区卫生健康局",
            "家庭医生签约服务进社区",
            later,
            (14, 30),
            (16, 30),
            12,
            {"deputy": 2, "member": 2, "public": 8},
            [{"name": "开福区社区卫生服务中心", "address": "长沙市开福区"}],
        )
        self.plans = [self.held, self.ended, self.soon, self.full]

    def campaign_extra(self) -> dict[str, Any]:
        return {
            "upper_documents": "《湖南省政务公开政务服务领导小组办公室关于印发〈湖南省“政务公开主题日”"
            "活动实施方案〉的通知》\n"
            f"《关于印发〈长沙市{self.year}年“政务公开主题日”活动实施方案〉的通知》"
        }

    def build(self) -> None:
        if Campaign.objects.filter(office=self.office, year=self.year).exists():
            return
        days = {p.unit: p.day for p in self.plans}
        # The seeds' calendar (plan on 12 April) unless the events need an earlier one.
        plan_day = min(date(self.year, 4, 12), self.held.day - timedelta(days=14))
        deadline = plan_day - timedelta(days=9)
        self.create_campaign(
            deadline - timedelta(days=6), deadline, self.window([p.day for p in self.plans])
        )
        self.declarations(deadline, days)
        self.publish_plan(plan_day, days)
        self.held_event()
        self.ended_event()
        self.upcoming_events()

    def declarations(self, deadline: date, days: dict[str, date]) -> None:
        streets = list(seed.KAIFU_STREETS)
        start, end = self.campaign.window_start_month, self.campaign.window_end_month
        for unit in campaigns.units_of(self.campaign):
            name = unit.name
            if name == data.SILENT_UNIT:
                continue
            if name in data.KAIFU_THEMES:
                theme, month, forms, area, intro = data.KAIFU_THEMES[name]
            else:
                i = streets.index(name) if name in streets else 0
                topic, area, forms = data.STREET_TOPICS[i % len(data.STREET_TOPICS)]
                theme = f"{name}{topic}开放日"
                month = 4 + (i * 5) % 8
                intro = (
                    f"邀请辖区人大代表、政协委员和居民代表走进{name}，围绕{topic}介绍工作举措和成效，"
                    f"现场观摩并座谈交流，收集居民对{topic}的意见建议。"
                )
            day = days.get(name)
            if day is not None and day.year == self.year:
                month = day.month
            row = {
                "theme": theme,
                "month": min(max(month, start), end),
                "forms": forms,
                "topic_area": area,
                "intro": intro,
            }
            late = name == data.LATE_UNIT
            sent = at(deadline + timedelta(days=3) if late else deadline, 9, unit.pk % 50)
            if name == DRAFT_UNIT:
                self.declare(unit, row, sent - timedelta(days=2), submit=False)
                continue
            declaration = self.declare(unit, row, sent, submit=True, late=late)
            if name == PENDING_UNIT:
                continue
            comment = data.RETURN_COMMENT if name == data.RETURNED_UNIT else ""
            self.review(declaration, at(deadline + timedelta(days=4), 15), comment)

    def held_event(self) -> None:
        admin, handler = self.users["kf-unit-admin"], self.users["kf-handler"]
        p = self.held
        event = self.event(p, admin, created=p.day - timedelta(days=14))
        categories = ["deputy"] * 4 + ["member"] * 4 + ["media"] * 2 + ["public"] * 6
        people = self.register(event, categories, at(p.day - timedelta(days=12), 9), seed_no=1)
        self.check_in(event, people, admin)
        self.hold(event, admin)
        # Photos and the summary, two working days later.
        reported = at(add_working_days(p.day, 2).date, 16)
        with _backdated(reported):
            for i, (caption, logo, colour) in enumerate(
                [
                    ("老旧小区改造项目现场观摩，背景为活动会标", True, (0x1F, 0x4E, 0x8C)),
                    ("社区党群服务中心居民座谈会", False, (0x3C, 0x8D, 0x2F)),
                ],
                1,
            ):
                upload = ContentFile(demo_png(160, 120, colour), name=f"live-{i}.png")
                photos.add_photo(admin, event, upload, caption, logo, True)
            text = dict(HOUSING_SUMMARY)
            text["overview"] = text["overview"].format(
                date=f"{p.day.year}年{p.day.month}月{p.day.day}日"
            )
            summaries.submit_summary(admin, event, text, now=reported)
        EventSummary.objects.filter(event=event).update(
            submitted_at=reported, created_at=reported - timedelta(hours=2)
        )
        self.opinions(event, admin, handler)

    def opinions(self, event: Event, admin: User, handler: User) -> None:
        day = timezone.localtime(event.starts_at).date()
        office = self.actor
        assigned_on = add_working_days(day, 1).date
        answered_on = add_working_days(assigned_on, 4).date
        reviewed_on = add_working_days(answered_on, 1).date
        sources = [Opinion.Source.FORUM, Opinion.Source.PAPER, Opinion.Source.ONLINE]
        made: list[Opinion] = []
        for i, (content, summary, state, decision, reply) in enumerate(HOUSING_OPINIONS):
            received = at(day, 11, i * 3)
            with _backdated(received):
                o = ops.submit_opinion(
                    content=content,
                    source=sources[i % len(sources)],
                    event=event,
                    name=DEMO_SURNAMES[i + 3] + DEMO_GIVEN[(i * 7) % len(DEMO_GIVEN)],
                    phone=f"13707{event.unit_id % 100:02d}{i:04d}",
                    consent=True,
                    category=["public", "deputy", "member", "media"][i % 4],
                    actor=admin,
                    received_at=received,
                )
                ops.classify(admin, o, summary=summary, topic_area=event.topic_area)
            made.append(o)
            if state == "new":
                continue
            if state == "merged":
                with _backdated(at(assigned_on, 9, 10)):
                    ops.merge(office, made[0], [o])
                continue
            if state == "assigned":
                # A recent one: handed over the last working day, due well after today.
                recent = workday_on_or_before(self.today - timedelta(days=1))
                with _backdated(at(recent, 9, 30)):
                    ops.assign(office, o, unit=event.unit, assignee=handler, today=recent)
                Opinion.objects.filter(pk=o.pk).update(assigned_at=at(recent, 9, 30))
                continue
            due_days = None
            if add_working_days(assigned_on, ops.due_days_for(o)).date >= self.today:
                due_days = 5  # holidays in between: a shorter term, so it is overdue by now
            moment = at(assigned_on, 9, 30)
            with _backdated(moment):
                ops.assign(
                    office,
                    o,
                    unit=event.unit,
                    assignee=handler,
                    today=assigned_on,
                    due_days=due_days if state == "overdue" else None,
                )
            Opinion.objects.filter(pk=o.pk).update(assigned_at=moment)
            if state == "overdue":
                continue
            answered = at(answered_on, 15, i)
            with _backdated(answered):
                ops.answer(handler, o, text=reply, decision=decision)
                if decision in ("adopted", "partly"):
                    step = ops.add_step(
                        handler,
                        o,
                        description="按答复意见组织整改并向居民反馈",
                        planned_date=answered_on + timedelta(days=20),
                    )
                    if i == 0:
                        ops.complete_step(handler, step, done_date=answered_on + timedelta(days=10))
            Opinion.objects.filter(pk=o.pk).update(answered_at=answered)
            if state == "answered":
                continue
            reviewed = at(reviewed_on, 10, i)
            with _backdated(reviewed):
                if state == "returned":
                    ops.review(admin, o, approve=False, note="答复未说明疏通时限，请补充后再提交。")
                else:
                    ops.review(admin, o, approve=True, publish=state == "published")
            Opinion.objects.filter(pk=o.pk).update(
                reviewed_at=reviewed, published_at=reviewed if state == "published" else None
            )
        # Call-backs to the people whose opinions were published: two reached, one not.
        called = _past(at(add_working_days(reviewed_on, 3).date, 15), self.now)
        with _backdated(called):
            ops.build_call_list(admin, event=event)
        for k, cb in enumerate(Callback.objects.filter(event=event, opinion__isnull=False)):
            when = called + timedelta(minutes=10 * k)
            with _backdated(when):
                log_demo_call(admin, cb, k, retry_at=when + timedelta(days=1))
            Callback.objects.filter(pk=cb.pk).update(called_at=when)

    def ended_event(self) -> None:
        """Held a few days ago: no summary yet; its questionnaire is still open."""
        p = self.ended
        event = self.event(p, self.actor, created=p.day - timedelta(days=12))
        categories = ["deputy"] * 4 + ["member"] * 4 + ["expert"] * 2 + ["business"] * 3
        people = self.register(
            event, categories + ["public"] * 2, at(p.day - timedelta(days=10), 9), seed_no=2
        )
        self.check_in(event, people, self.actor)
        self.hold(event, self.actor)
        with _backdated(at(p.day, 8)):
            survey = surveys.create_survey(
                self.actor,
                event.unit,
                template="event",
                event=event,
                campaign=event.campaign,
                closes_at=at(self.today + timedelta(days=7), 18),
            )
            surveys.set_status(self.actor, survey, Survey.Status.OPEN)
        questions = list(survey.questions.exclude(kind="section"))
        rating, matrix, channels, score, any_advice, advice = questions
        rng = Random(p.day.toordinal())
        for i in range(9):
            has_advice = i < len(SURVEY_ADVICE)
            answers: dict[int, Any] = {
                rating.pk: rng.choice([1, 1, 1, 2, 2, 3]),
                matrix.pk: {
                    str(r): rng.choice([1, 1, 2, 2, 3]) for r in range(1, len(matrix.rows) + 1)
                },
                channels.pk: sorted(rng.sample(range(1, len(channels.options) + 1), 2)),
                score.pk: rng.choice([7, 8, 9, 9, 10, 10]),
                any_advice.pk: 1 if has_advice else 2,
            }
            if has_advice:
                answers[advice.pk] = SURVEY_ADVICE[i]
            response = surveys.submit_response(
                survey.pk, answers, device_id=f"live-{event.pk}-{i}", category=categories[i]
            )
            sent = _past(event.ends_at + timedelta(minutes=5 + 47 * i), self.now)
            Response.objects.filter(pk=response.pk).update(submitted_at=sent)
        surveys.expand_pending(survey.pk)
        # At the forum and in the questionnaire: opinions waiting to be handed over.
        with _backdated(at(p.day, 11)):
            ops.submit_opinion(
                content="希望重大项目建设进度能定期在区政府网站公开，方便群众了解和监督。",
                source=Opinion.Source.FORUM,
                event=event,
                name="刘德胜",
                category="deputy",
                actor=self.actor,
                received_at=at(p.day, 11),
            )
        first = Answer.objects.filter(survey=survey).exclude(text="").order_by("id").first()
        if first is not None:
            first.response.refresh_from_db()
            with _backdated(first.response.submitted_at):
                ops.opinion_from_answer(self.actor, first)

    def upcoming_events(self) -> None:
        soon = self.event(self.soon, self.actor, created=self.today - timedelta(days=6))
        self.register(
            soon,
            ["public"] * 5 + ["deputy"] * 2 + ["member"],
            at(self.today - timedelta(days=5), 9),
            seed_no=3,
        )
        with _backdated(at(self.today - timedelta(days=6), 11)):
            article = publicity.generate_announcement(soon, self.actor)
        published = _past(at(self.today - timedelta(days=5), 10), self.now)
        with _backdated(published):
            _publish(article, self.actor, self.actor, published)
        # Nearly full: two seats left (one per category), 普通群众 full with two waiting.
        full = self.event(self.full, self.actor, created=self.today - timedelta(days=7))
        self.register(
            full,
            ["public"] * 8 + ["deputy", "member"] + ["public"] * 2,
            at(self.today - timedelta(days=6), 9),
            seed_no=4,
        )


# --- 沙日浩来镇: the open day, today ----------------------------------------------------------------

TOWN_QUOTAS = {
    "deputy": 6,
    "member": 4,
    "model": 2,
    "media": 3,
    "business": 4,
    "trader": 4,
    "public": 17,
}


class Town(Living):
    preset = "open_day"
    office_name = seed.NAIMAN_OFFICE
    seed_window = (6, 10)

    def campaign_extra(self) -> dict[str, Any]:
        return {"contact_name": "", "contact_phone": "", "contact_email": ""}

    def phone_of(self, unit: Org) -> str:
        return "0475-4600000"

    def build(self) -> None:
        if Campaign.objects.filter(office=self.office, year=self.year).exists():
            return
        today = self.today
        notice = min(date(self.year, 5, 8), today - timedelta(days=40))
        deadline = notice + timedelta(days=12)
        self.create_campaign(notice, deadline, self.window([today]))
        town = Org.objects.get(name=seed.TOWN)
        theme, _month, forms, area, intro = data.TOWN_DECLARATION
        row = {"theme": theme, "month": 0, "forms": forms, "topic_area": area, "intro": intro}
        start, end = self.campaign.window_start_month, self.campaign.window_end_month
        row["month"] = min(max(today.month, start), end)
        declaration = self.declare(town, row, at(deadline - timedelta(days=5), 10), submit=True)
        self.review(declaration, at(deadline - timedelta(days=4), 15))
        self.publish_plan(deadline + timedelta(days=5), {seed.TOWN: today})
        admin = self.users["shrhl-admin"]
        p = Plan(seed.TOWN, "", today, (8, 30), (11, 30), 40, TOWN_QUOTAS, [])
        fields = town_event_fields()
        p.venues = fields.pop("venues")
        event = self.event(p, admin, created=today - timedelta(days=14), theme=fields)
        assert event.title == town_event_title(self.year)
        categories = [c for c, n in TOWN_QUOTAS.items() for _ in range(min(n, 4))]
        people = self.register(event, categories, at(today - timedelta(days=12), 9), seed_no=5)
        with _backdated(at(today - timedelta(days=1), 18)):
            events.set_status(admin, event, Event.Status.CLOSED)
        self.check_in(event, people, admin)
