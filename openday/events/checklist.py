"""The next-step checklist on a unit's event page (#20): what is done, what is missing, one action.

From publishing to the summary, each step of an event's loop says whether it is done, what is
still missing in figures, and offers the one action that moves it on (a link or a POST button),
shown only when the viewer may take it. The steps after the event wait until it has started.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from .models import Event

if TYPE_CHECKING:
    from openday.orgs.access import Access


class State:
    DONE = "done"
    TODO = "todo"
    LATER = "later"  # waits for the event to take place
    OPTIONAL = "optional"


STATE_LABELS = {
    State.DONE: "已完成",
    State.TODO: "待办",
    State.LATER: "活动后",
    State.OPTIONAL: "可选",
}


@dataclass
class Action:
    label: str
    url: str
    post: bool = False
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Step:
    key: str
    label: str
    state: str
    detail: str
    action: Action | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def done(self) -> bool:
        return self.state == State.DONE


def _publish(event: Event) -> Step:
    if event.status != Event.Status.DRAFT:
        return Step(
            "publish", "发布活动", State.DONE, f"已发布，当前状态：{event.get_status_display()}。"
        )
    return Step(
        "publish",
        "发布活动",
        State.TODO,
        "活动还是草稿，公众看不到，也不能报名。",
        Action("发布并开放报名", reverse("control:event_action", args=[event.pk, "publish"]), True),
    )


def _invite(event: Event) -> Step:
    counts = event.invitations.aggregate(
        total=Count("id"), sent=Count("id", filter=~Q(status="new"))
    )
    url = reverse("control:event_invitations", args=[event.pk])
    if counts["sent"]:
        return Step(
            "invite",
            "邀请代表",
            State.DONE,
            f"已发出邀请 {counts['sent']} 份（名单 {counts['total']} 人）。",
            Action("查看邀请", url),
        )
    invited = [q for q in event.quotas.all() if q.category != "public" and q.seats]
    if event.registration_mode != Event.Mode.INVITATION and not invited:
        return Step(
            "invite",
            "邀请代表",
            State.OPTIONAL,
            "本活动不分邀请类别，公开报名即可；也可以点名邀请。",
            Action("导入邀请名单", url),
        )
    detail = (
        f"邀请名单 {counts['total']} 人，还没有发送。"
        if counts["total"]
        else "还没有邀请名单：导入人大代表、政协委员等的名单，一键发送短信邀请。"
    )
    return Step("invite", "邀请代表", State.TODO, detail, Action("导入名单并发送邀请", url))


def _checkin(event: Event, started: bool, counts: dict[str, int]) -> Step:
    url = reverse("control:event_checkin", args=[event.pk])
    if counts["arrived"]:
        return Step(
            "checkin",
            "现场签到",
            State.DONE,
            f"已签到 {counts['arrived']} 人（报名 {counts['registered']} 人）。",
            Action("继续签到", url),
        )
    if not started:
        return Step(
            "checkin",
            "现场签到",
            State.LATER,
            f"已报名 {counts['registered']} 人。活动当天用手机扫码签到。",
            Action("打开签到页", url),
        )
    return Step(
        "checkin",
        "现场签到",
        State.TODO,
        "还没有人签到：扫描参加人员的电子票，或按姓名、手机尾号签到。",
        Action("打开签到页", url),
    )


def _survey(event: Event, started: bool) -> Step:
    surveys = list(event.surveys.all())
    opened = [s for s in surveys if s.status != "draft"]
    if opened:
        s = opened[0]
        return Step(
            "survey",
            "满意度问卷",
            State.DONE,
            f"“{s.title}”{s.get_status_display()}。",
            Action("查看统计结果", reverse("control:survey_results", args=[s.pk])),
        )
    if surveys:
        return Step(
            "survey",
            "满意度问卷",
            State.TODO,
            "问卷已创建，还没有发布。",
            Action("检查并发布问卷", reverse("control:survey_detail", args=[surveys[0].pk])),
        )
    return Step(
        "survey",
        "满意度问卷",
        State.TODO if started else State.OPTIONAL,
        "还没有问卷：一键按“活动满意度”模板创建并发布，座谈时请参加人员扫码填写。",
        Action(
            "创建并发布满意度问卷", reverse("control:event_action", args=[event.pk, "survey"]), True
        ),
    )


def _opinions(event: Event, started: bool, by_status: dict[str, int]) -> Step:
    total = sum(by_status.values())
    url = reverse("control:opinion_create") + f"?event={event.pk}"
    if total:
        return Step(
            "opinions",
            "录入意见建议",
            State.DONE,
            f"已收到意见建议 {total} 条。",
            Action("继续录入", url),
        )
    return Step(
        "opinions",
        "录入意见建议",
        State.TODO if started else State.LATER,
        "座谈会上的发言请逐条录入（群众也可以在活动页面提交）。",
        Action("录入座谈意见", url),
    )


def _photos(event: Event, started: bool) -> Step:
    rows = event.photos.aggregate(total=Count("id"), logo=Count("id", filter=Q(shows_logo=True)))
    url = reverse("control:photo_manage", args=[event.pk])
    if rows["logo"]:
        return Step(
            "photos",
            "活动照片",
            State.DONE,
            f"已上传 {rows['total']} 张，其中可见 LOGO {rows['logo']} 张。",
            Action("管理照片", url),
        )
    detail = (
        f"已上传 {rows['total']} 张，还没有一张标明“可见 LOGO”。"
        if rows["total"]
        else "上传现场照片（可一次选多张），至少一张能看到活动 LOGO；新闻稿优先选用。"
    )
    return Step(
        "photos",
        "活动照片",
        State.TODO if started else State.LATER,
        detail,
        Action("上传照片", url),
    )


def _answers(event: Event, by_status: dict[str, int]) -> Step:
    from openday.opinions.models import Opinion

    S = Opinion.Status
    url = reverse("control:opinion_list") + f"?event={event.pk}"
    total = sum(by_status.values())
    waiting = [
        (label, by_status.get(code, 0))
        for code, label in (
            (S.NEW, "待交办"),
            (S.ASSIGNED, "办理中"),
            (S.RETURNED, "退回修改"),
            (S.ANSWERED, "待审核"),
            (S.APPROVED, "已审核未公开"),
        )
        if by_status.get(code)
    ]
    if not total:
        return Step(
            "answers", "答复和公开", State.LATER, "收到意见建议后在这里交办、答复、审核和公开。"
        )
    if not waiting:
        return Step(
            "answers",
            "答复和公开",
            State.DONE,
            f"{total} 条意见的办理结果都已公开。",
            Action("查看意见", url),
        )
    detail = "还有" + "，".join(f"{label} {n} 条" for label, n in waiting) + "。"
    return Step("answers", "答复和公开", State.TODO, detail, Action("去办理", url))


def _callbacks(event: Event, by_status: dict[str, int], counts: dict[str, int]) -> Step:
    from openday.opinions.models import Callback

    rows = Callback.objects.filter(event=event).aggregate(
        total=Count("id"), todo=Count("id", filter=Q(outcome=Callback.Outcome.TODO))
    )
    listing = reverse("control:callback_list") + f"?event={event.pk}"
    if rows["total"] and not rows["todo"]:
        return Step(
            "callbacks",
            "电话回访",
            State.DONE,
            f"回访名单 {rows['total']} 人都已回访。",
            Action("查看回访", listing),
        )
    if rows["total"]:
        return Step(
            "callbacks",
            "电话回访",
            State.TODO,
            f"回访名单 {rows['total']} 人，还有 {rows['todo']} 人待回访。",
            Action("去回访", listing),
        )
    from openday.opinions.models import Opinion

    ready = by_status.get(Opinion.Status.PUBLISHED, 0) or counts["arrived"]
    return Step(
        "callbacks",
        "电话回访",
        State.TODO if ready else State.LATER,
        "办理结果公开后，回访提意见的群众和签到的参加人员。",
        Action("生成回访名单", reverse("control:callback_build"), True, {"event": str(event.pk)})
        if ready
        else None,
    )


def _article(event: Event, started: bool) -> Step:
    from openday.publicity.models import Article

    news = list(
        Article.objects.filter(event=event, kind=Article.Kind.NEWS).order_by("-updated_at")[:5]
    )
    published = [a for a in news if a.status == Article.Status.PUBLISHED]
    if published:
        a = published[0]
        return Step(
            "article",
            "新闻报道",
            State.DONE,
            f"“{a.title}”已发布。",
            Action("查看稿件", reverse("control:article_detail", args=[a.pk])),
        )
    if news:
        a = news[0]
        return Step(
            "article",
            "新闻报道",
            State.TODO,
            f"稿件“{a.title}”{a.get_status_display()}。",
            Action("修改并提交", reverse("control:article_detail", args=[a.pk])),
        )
    return Step(
        "article",
        "新闻报道",
        State.TODO if started else State.LATER,
        "活动结束后一键生成新闻稿：参加人数、参观内容、意见建议和满意度取自系统数据。",
        Action("生成新闻稿", reverse("control:article_generate", args=[event.pk, "news"]), True),
    )


def _summary(event: Event, started: bool) -> Step:
    from openday.summaries.models import EventSummary

    url = reverse("control:summary_edit", args=[event.pk])
    report = EventSummary.objects.filter(event=event).first()
    if report is not None and report.status == EventSummary.Status.SUBMITTED:
        return Step(
            "summary", "活动总结", State.DONE, "活动总结已报送政务公开办。", Action("查看总结", url)
        )
    return Step(
        "summary",
        "活动总结",
        State.TODO if started else State.LATER,
        "五个部分已按活动数据起草，核对补充后报送。"
        if report
        else "活动结束后报送活动总结，五个部分按活动数据起草。",
        Action("写总结并报送", url),
    )


def _allowed(access: "Access", event: Event, step: Step) -> Step:
    """Drop the action the viewer may not take (the page shows the state to every manager)."""
    from openday.opinions.access import can_enter_for
    from openday.publicity.access import can_write_for
    from openday.summaries.access import can_edit

    rules = {
        "opinions": lambda: can_enter_for(access, event.unit),
        "callbacks": lambda: can_enter_for(access, event.unit),
        "article": lambda: can_write_for(access, event.unit),
        "summary": lambda: can_edit(access, event),
        "photos": lambda: can_edit(access, event),
    }
    if step.action is not None and step.key in rules and not rules[step.key]():
        step.action = None
    return step


def steps_for(event: Event, access: "Access", *, now: object = None) -> list[Step]:
    """The checklist of `event` as `access` sees it, in the order the work is done."""
    from openday.opinions.models import Opinion

    from .services import counters

    moment = now or timezone.now()
    started = event.starts_at <= moment  # type: ignore[operator]
    rows = counters(event)
    counts = {
        "registered": sum(r["registered"] for r in rows),
        "arrived": sum(r["arrived"] for r in rows),
    }
    by_status = dict(
        Opinion.objects.filter(event=event)
        .exclude(status=Opinion.Status.MERGED)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    steps = [
        _publish(event),
        _invite(event),
        _checkin(event, started, counts),
        _survey(event, started),
        _opinions(event, started, by_status),
        _photos(event, started),
        _answers(event, by_status),
        _callbacks(event, by_status, counts),
        _article(event, started),
        _summary(event, started),
    ]
    return [_allowed(access, event, s) for s in steps]


def progress(steps: list[Step]) -> tuple[int, int]:
    """(done, counted): optional steps that are not done do not count."""
    counted = [s for s in steps if s.state != State.OPTIONAL or s.done]
    return sum(s.done for s in counted), len(counted)
