"""The event summary (活动总结) drafted from the data: all five sections written from the figures.

Only what the data supports is claimed: an experience needs the data that shows it, a shortcoming
a figure that falls short, a cause the record behind it. What only the unit knows is asked for with
a placeholder (【请补充：…】), which submit_summary refuses, so no draft is submitted unread.
The wording habits (the unit named once, lists, no sentence twice) are shared with the news
article in openday.publicity.prose.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils import timezone

from openday.events.models import Event, Invitation, Registration
from openday.lib.placeholders import placeholder
from openday.opinions.models import Opinion, overdue_q
from openday.publicity import prose
from openday.publicity.models import Article
from openday.publicity.services import agenda_steps, forms_phrase

from . import services

# Below these a figure is reported as a shortcoming.
CHECK_IN_RATE = 90.0
FILL_RATE = 80.0
SATISFACTION_RATE = 80.0
SURVEY_RATE = 50.0
ANSWERED = [Opinion.Status.ANSWERED, Opinion.Status.APPROVED, Opinion.Status.PUBLISHED]


@dataclass
class Finding:
    """A shortcoming the figures show, the cause the records show (or a question for the unit)
    and what to do about it next."""

    shortcoming: str
    cause: str
    next_step: str = ""


@dataclass
class Facts:
    """What the sections are written from: the summary's figures and a few counts beside them."""

    event: Event
    f: Mapping[str, Any]
    satisfaction: list[dict[str, Any]]
    online: int
    reminded: int
    invited_categories: set[str]
    announced: bool
    overdue: int
    late: int
    unassigned: int
    open: int
    topics: list[tuple[str, int]]


def facts(event: Event) -> Facts:
    from openday.opinions.triage import topics_of

    today = timezone.localdate()
    confirmed = event.registrations.filter(status=Registration.Status.CONFIRMED)
    opinions = event.opinions.all()
    return Facts(
        event=event,
        f=services.figures(event),
        satisfaction=prose.satisfaction_items(event),
        online=confirmed.filter(source=Registration.Source.ONLINE).count(),
        reminded=confirmed.exclude(reminded_at=None).count(),
        invited_categories=set(
            Invitation.objects.filter(event=event)
            .exclude(status=Invitation.Status.NEW)
            .values_list("category", flat=True)
        ),
        announced=Article.objects.filter(
            event=event, kind=Article.Kind.ANNOUNCEMENT, status=Article.Status.PUBLISHED
        ).exists(),
        overdue=opinions.filter(overdue_q(today)).count(),
        late=opinions.filter(
            status__in=ANSWERED, due_date__isnull=False, answered_at__date__gt=F("due_date")
        ).count(),
        unassigned=opinions.filter(status=Opinion.Status.NEW).count(),
        open=opinions.filter(status__in=Opinion.OPEN_STATUSES).count(),
        topics=[(label, count) for label, count, _items in topics_of(opinions)],
    )


def _count_by(rows: list[dict[str, Any]], key: str) -> str:
    return "、".join(f"{r['name']}{r[key]}名" for r in rows if r[key])


# --- 活动开展情况 -------------------------------------------------------------------------------


def overview(x: Facts) -> list[str]:
    event, f = x.event, x.f
    unit = event.unit
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    first = (
        f"{prose.day(event.starts_at)}{start:%H:%M}—{end:%H:%M}，{prose.holds(unit, event.title)}。"
    )
    venues = [v.get("name", "") for v in event.venues or [] if v.get("name")]
    clause = "，".join(
        c
        for c in (
            f"活动以“{event.theme}”为主题" if event.theme else "",
            f"在{prose.join_and(venues)}举行" if venues else "",
            forms_phrase(event.forms or []),
        )
        if c
    )
    if clause:
        first += (clause if clause.startswith("活动") else "活动" + clause) + "。"
    steps = agenda_steps(event)
    if len(steps) > 1:
        first += f"活动依次安排了{prose.join_list(steps)}等环节。"
    p = f["participants"]
    people = ""
    quotas = [c for c in p["categories"] if c["quota"]]
    if quotas:
        people += f"活动计划名额{p['capacity']}人，其中{_count_by(quotas, 'quota')}。"
    else:
        people += f"活动计划名额{p['capacity']}人。"
    inv = f["invitations"]
    if inv.get("sent"):
        people += f"发出邀请{inv['sent']}份，受邀报名{inv['accepted']}人。"
    if p["registered"]:
        people += f"报名成功{p['registered']}人，实际签到{p['checked_in']}人"
        people += f"，签到率{prose.percent(prose.rate(p['checked_in'], p['registered']))}。"
    else:
        people += "活动没有报名记录。"
    if p["checked_in"]:
        people += f"到场人员中，{_count_by(p['categories'], 'checked_in')}。"
    o = f["opinions"]
    results = ""
    if o["received"]:
        results += f"活动共收集意见建议{o['received']}条，已答复{o['answered']}条"
        results += f"，其中采纳（含部分采纳）{o['adopted']}条。" if o["answered"] else "。"
    else:
        results += "活动中没有收到意见建议。"
    s = f["survey"]
    if s["responses"]:
        results += f"活动回收调查问卷{s['responses']}份"
        if s["rated"]:
            results += (
                f"，“非常满意”和“满意”的占{prose.percent(s['satisfaction_rate'])}"
                f"，平均{prose.number(s['satisfaction_score'])}分（满分5分）"
            )
        results += "。"
    elif s["surveys"]:
        results += "活动问卷没有回收答卷。"
    else:
        results += "活动没有开展问卷调查。"
    return [first, people, results]


# --- 经验做法 -----------------------------------------------------------------------------------


FORM_DOINGS = {
    "实地调研": "实地调研",
    "现场观摩": "现场观摩",
    "座谈交流": "面对面座谈交流",
    "政策发布": "现场发布解读政策",
    "问卷调查": "问卷调查收集评价",
    "浏览介绍": "浏览介绍部门职能",
}


def experiences(x: Facts) -> list[str]:
    event, f = x.event, x.f
    points: list[str] = []
    forms = [form for form in event.forms or [] if form]
    if len(forms) > 1:
        doings = [FORM_DOINGS.get(form, form) for form in forms]
        points.append(
            f"开放形式多样。活动通过{prose.join_list(doings)}等方式，让参加人员直观了解政府工作。"
        )
    names = [d.get("name", "") for d in event.directory or [] if d.get("name")]
    if names:
        points.append(
            f"介绍内容具体。活动准备了{prose.join_and(names)}的职能、办事程序和重点工作介绍，"
            "让参加人员看得懂、问得清。"
        )
    p = f["participants"]
    invited = [c["name"] for c in p["categories"] if c["quota"]]
    came = [c["name"] for c in p["categories"] if c["checked_in"]]
    if len(invited) > 1 and len(came) > 1:
        reach = (
            f"{len(invited)}个类别均有人到场"
            if len(came) >= len(invited)
            else f"实际到场人员涵盖其中{len(came)}个类别"
        )
        points.append(
            f"邀请对象广泛。活动按类别分配名额，邀请{prose.join_and(prose.people(invited))}参加，"
            f"{reach}。"
        )
    inv = f["invitations"]
    if x.online or inv.get("sent"):
        ways = []
        if x.online:
            ways.append(f"网上报名{x.online}人")
        if inv.get("sent"):
            ways.append(f"定向发出邀请{inv['sent']}份")
        text = f"报名组织规范。通过活动平台{prose.join_list(ways)}"
        if p["checked_in"]:
            text += f"，现场签到{p['checked_in']}人，报名和到场情况全程留痕"
        points.append(text + "。")
    o = f["opinions"]
    if o["answered"] and o["on_time"] == o["answered"]:
        text = "意见建议办理及时。"
        if o["assigned"] >= o["handled"]:
            text += f"收集的{o['received']}条意见建议逐条交办，"
        text += f"已答复的{o['answered']}条均在办理期限内答复"
        if o["published"]:
            text += f"，{o['published']}条办理结果已在活动专栏公开"
        points.append(text + "。")
    elif o["published"]:
        points.append(f"办理结果公开。{o['published']}条意见建议的办理结果已在活动专栏公开。")
    cb = f["callbacks"]
    if cb["callbacks_reached"]:
        points.append(f"注重跟踪回访。活动后开展电话回访，接通{cb['callbacks_reached']}人次。")
    s = f["survey"]
    if s["rated"] and (s["satisfaction_rate"] or 0) >= SATISFACTION_RATE:
        points.append(
            f"群众评价较好。问卷中“非常满意”和“满意”的占{prose.percent(s['satisfaction_rate'])}。"
        )
    if f["articles"]:
        points.append(f"宣传报道及时。活动专栏发布宣传报道{f['articles']}篇。")
    if not points:
        return [placeholder("本次活动的好经验、好做法（例如组织、宣传、互动环节的做法）")]
    return prose.numbered(points)


# --- 存在不足、原因分析 ---------------------------------------------------------------------------


def findings(x: Facts) -> list[Finding]:
    event, f = x.event, x.f
    p = f["participants"]
    out: list[Finding] = []
    check_in = prose.rate(p["checked_in"], p["registered"])
    if check_in is not None and check_in < CHECK_IN_RATE:
        missing = p["registered"] - p["checked_in"]
        if not x.reminded:
            cause = "系统中没有活动前提醒报名人员的记录，报名后的联系确认不够到位。"
        elif x.reminded < p["registered"]:
            cause = f"活动前只提醒了{x.reminded}名报名人员，报名后的联系确认不够到位。"
        else:
            cause = placeholder("报名人员未到场的原因（如时间冲突、天气、交通等）")
        out.append(
            Finding(
                f"到场率不高。报名成功{p['registered']}人，实际签到{p['checked_in']}人，"
                f"签到率{prose.percent(check_in)}，有{missing}人报名后未到场。",
                cause,
                "活动前通过短信、电话逐一提醒报名人员，提高到场率。",
            )
        )
    fill = prose.rate(p["registered"], p["capacity"])
    # No registration at all means the records were kept elsewhere, not that nobody came.
    if fill is not None and fill < FILL_RATE and p["registered"]:
        if event.registration_mode == Event.Mode.INVITATION:
            sent = f["invitations"].get("sent", 0)
            cause = f"活动仅限受邀人员参加，共发出邀请{sent}份，邀请范围不够大。"
        elif not x.announced:
            cause = "活动预告没有在活动专栏发布，群众了解活动信息的渠道有限。"
        else:
            cause = placeholder("报名人数未达到计划名额的原因（如预告发布时间、宣传渠道等）")
        out.append(
            Finding(
                f"报名人数不足。计划名额{p['capacity']}人，报名成功{p['registered']}人，"
                f"名额使用率{prose.percent(fill)}。",
                cause,
                "提前发布活动预告，通过网站、政务新媒体和社区等多种渠道宣传，扩大报名范围。",
            )
        )
    empty = [c for c in p["categories"] if (c["quota"] or c["registered"]) and not c["checked_in"]]
    if empty and p["checked_in"]:
        names = [c["name"] for c in empty]
        not_invited = [c["name"] for c in empty if c["code"] not in x.invited_categories]
        if not_invited:
            cause = f"没有向{prose.join_and(not_invited)}定向发出邀请，主要依靠公开报名。"
        else:
            cause = placeholder(f"{prose.join_and(names)}无人到场的原因")
        out.append(
            Finding(
                f"参加人员覆盖面不够全面。{prose.join_and(names)}无人到场。",
                cause,
                f"加强与{prose.join_and(prose.people(names))}的联系，定向发出邀请，"
                "提高参加人员的广泛性和代表性。",
            )
        )
    o = f["opinions"]
    if x.overdue:
        if x.unassigned:
            cause = f"有{x.unassigned}条意见建议尚未交办到责任单位和责任人。"
        else:
            cause = placeholder("意见建议超过办理期限仍未答复的原因")
        out.append(
            Finding(
                f"意见建议办理不够及时。有{x.overdue}条意见建议超过办理期限仍未答复。",
                cause,
            )
        )
    if x.late:
        out.append(
            Finding(
                f"部分意见建议答复滞后。已答复的{o['answered']}条中，有{x.late}条超过办理期限才答复。",
                placeholder("意见建议超期答复的原因"),
            )
        )
    low = [i for i in x.satisfaction if i["rate"] < SATISFACTION_RATE]
    if low:
        rates = "、".join(f"“{i['title']}”满意率为{prose.percent(i['rate'])}" for i in low)
        titles = prose.join_list([f"“{i['title']}”" for i in low])
        out.append(
            Finding(
                f"部分方面群众满意度不高。问卷中{rates}。",
                placeholder(f"{titles}满意率偏低的原因（可结合问卷中的意见分析）"),
                f"针对{titles}等评价不高的方面改进活动组织和相关工作。",
            )
        )
    s = f["survey"]
    responses = prose.rate(s["responses"], p["checked_in"])
    if s["surveys"] and responses is not None and responses < SURVEY_RATE:
        out.append(
            Finding(
                f"问卷回收率偏低。签到{p['checked_in']}人，回收问卷{s['responses']}份，"
                f"回收率{prose.percent(responses)}。",
                placeholder("问卷回收率低的原因（如发放时间、填写方式等）"),
                "改进问卷发放方式，在活动现场预留填写时间，提高问卷回收率。",
            )
        )
    elif not s["surveys"] and p["checked_in"]:
        out.append(
            Finding(
                "缺少参加人员对活动的评价。活动没有开展问卷调查。",
                "活动方案中没有安排问卷调查环节。",
                "每次活动都安排满意度问卷调查，听取参加人员对活动的评价。",
            )
        )
    return out


def shortcomings(found: list[Finding]) -> list[str]:
    if not found:
        return [placeholder("本次活动存在的不足（系统数据中签到、意见办理、满意度等没有明显问题）")]
    return prose.numbered([x.shortcoming for x in found])


def causes(found: list[Finding]) -> list[str]:
    if not found:
        return [placeholder("存在不足的原因")]
    return prose.numbered([x.cause for x in found])


# --- 下一步打算 ---------------------------------------------------------------------------------


def next_steps(x: Facts, found: list[Finding]) -> list[str]:
    o = x.f["opinions"]
    points: list[str] = []
    if x.topics:
        labels = prose.join_list([f"“{label}”" for label, _count in x.topics[:3]])
        points.append(
            f"针对群众集中反映的{labels}等方面的问题，逐条研究、明确责任和时限，"
            "能解决的尽快解决，一时难以解决的做好解释说明。"
        )
    if x.open:
        points.append(
            f"对尚未办结的{x.open}条意见建议加强跟踪督办，按期答复，"
            "并在活动专栏公开办理和整改结果。"
        )
    pending = o["adopted"] - o["rectified"]
    if pending > 0:
        points.append(f"对已采纳的意见建议，抓好{pending}条的整改落实，整改完成后开展电话回访。")
    points += [x.next_step for x in found if x.next_step]
    points.append("认真总结本次活动的好经验、好做法，推动政务开放活动制度化、常态化。")
    return prose.numbered(points)


# --- The draft ---------------------------------------------------------------------------------


def draft_summary(event: Event) -> dict[str, str]:
    """The five sections of the summary ({field: text}) written from the event's data now; no
    sentence appears twice, within a section or across them."""
    x = facts(event)
    found = findings(x)
    sections = {
        "overview": overview(x),
        "experiences": experiences(x),
        "shortcomings": shortcomings(found),
        "causes": causes(found),
        "next_steps": next_steps(x, found),
    }
    seen: set[str] = set()
    return {
        field: "\n".join(prose.no_repeats(sections[field], seen)) for field in services.TEXT_FIELDS
    }
