"""What needs doing today, per person: the to-do section at the top of the staff dashboard.

Every figure is counted from the same queryset as the list its link opens (the apps' access
functions: campaigns.visible_campaigns, events.managed_events, opinions.visible,
publicity.visible), narrowed by the same filter the list applies (the *_q functions and
EVENT_FILTERS below, which the list views use too), so the count on the dashboard and the rows
on the list agree, and nobody is shown a figure about orgs outside their part of the tree.

Groups by role (an item appears only when its count is not zero):

- office (政务公开办管理员, or a viewer of an office): declarations awaiting review, opinions
  overdue or not yet assigned, events this week, held events without a summary, articles
  awaiting review;
- unit (单位管理员 / 单位工作人员): its events' next steps (drafts, open for registration, held
  without a summary or without a published article), opinions awaiting its answer and, for unit
  admins, answers awaiting approval;
- inbox (办理人, and anyone with opinions assigned to them): their open opinions by due date;
- operator (系统运维): failed steps of the last housekeeping run.

The functions take the Access object (never a request) and run a fixed number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from .models import Role

if TYPE_CHECKING:
    from openday.campaigns.models import PlanEntry
    from openday.events.models import Event
    from openday.opinions.models import Opinion

    from .access import Access
    from .models import Org

OFFICE_ROLES = {Role.OFFICE_ADMIN, Role.VIEWER}
UNIT_ROLES = {Role.UNIT_ADMIN, Role.UNIT_STAFF}


@dataclass(frozen=True)
class Item:
    """One to-do: a count and the list that shows exactly those rows."""

    key: str
    label: str
    count: int
    url: str
    urgent: bool = False
    hint: str = ""


@dataclass
class Group:
    key: str
    title: str
    items: list[Item] = field(default_factory=list)
    # The handler's inbox lists its first opinions under the counts.
    opinions: list["Opinion"] = field(default_factory=list)

    def add(self, item: Item) -> None:
        if item.count:
            self.items.append(item)


@dataclass
class Todo:
    groups: list[Group]
    today: date

    @property
    def empty(self) -> bool:
        return not any(g.items for g in self.groups)

    @property
    def total(self) -> int:
        return sum(i.count for g in self.groups for i in g.items)


def _url(name: str, args: tuple[int, ...] = (), **query: str) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


# --- Filters shared with the list pages ---------------------------------------------------------


def week_bounds(today: date) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 of today's week, in local time."""
    monday = today - timedelta(days=today.weekday())
    start = timezone.make_aware(datetime.combine(monday, time.min))
    return start, start + timedelta(days=7)


def ended_q(now: datetime) -> Q:
    """Events that took place: not a draft, and over (or marked 已举办/已总结)."""
    from openday.events.models import Event

    return ~Q(status=Event.Status.DRAFT) & (
        Q(ends_at__lte=now) | Q(status__in=[Event.Status.HELD, Event.Status.SUMMARIZED])
    )


def _with_flags(events: "QuerySet[Event]") -> "QuerySet[Event]":
    from openday.publicity.models import Article
    from openday.summaries.models import EventSummary

    return events.annotate(
        todo_summary_done=Exists(
            EventSummary.objects.filter(event=OuterRef("pk"), status=EventSummary.Status.SUBMITTED)
        ),
        todo_article_done=Exists(
            Article.objects.filter(event=OuterRef("pk"), status=Article.Status.PUBLISHED)
        ),
    )


def _week_q(today: date) -> Q:
    start, end = week_bounds(today)
    return Q(starts_at__gte=start, starts_at__lt=end)


def _no_summary_q(now: datetime) -> Q:
    return ended_q(now) & Q(todo_summary_done=False)


def _no_article_q(now: datetime) -> Q:
    return ended_q(now) & Q(todo_article_done=False)


# ?todo= on the event list: name -> (label, Q over events annotated by _with_flags).
EVENT_FILTERS: dict[str, tuple[str, Callable[[date, datetime], Q]]] = {
    "week": ("本周举办", lambda today, now: _week_q(today)),
    "no_summary": ("已举办、未报送总结", lambda today, now: _no_summary_q(now)),
    "no_article": ("已举办、未发布稿件", lambda today, now: _no_article_q(now)),
}


def filter_events(events: "QuerySet[Event]", name: str) -> "QuerySet[Event]":
    """The event list narrowed by ?todo=name (unknown names change nothing)."""
    if name not in EVENT_FILTERS:
        return events
    now = timezone.now()
    return _with_flags(events).filter(EVENT_FILTERS[name][1](timezone.localdate(), now))


# --- The to-do list -----------------------------------------------------------------------------


def _office(access: "Access", today: date, now: datetime) -> Group | None:
    from openday.campaigns.models import Campaign, Declaration
    from openday.events.access import managed_events
    from openday.opinions.access import visible as visible_opinions
    from openday.opinions.models import Opinion, overdue_q
    from openday.publicity.access import visible as visible_articles
    from openday.publicity.models import Article

    if not any(
        m.role in OFFICE_ROLES and m.org.kind == m.org.Kind.OFFICE for m in access.memberships
    ):
        return None
    group = Group("office", "政务公开办")
    # Declarations: one link per campaign (the review board is a campaign's page). The board
    # lists the office's active units, so only their declarations are counted.
    campaigns = Campaign.objects.filter(
        access.scope_q(OFFICE_ROLES, field="office__path")
    ).annotate(
        todo_submitted=Count(
            "declarations",
            filter=Q(
                declarations__status=Declaration.Status.SUBMITTED,
                declarations__unit__parent=F("office"),
                declarations__unit__kind="unit",
                declarations__unit__is_active=True,
            ),
        )
    )
    for c in campaigns.filter(todo_submitted__gt=0).order_by("-year", "office__path")[:5]:
        group.add(
            Item(
                "declarations",
                "待审核申报",
                c.todo_submitted,
                _url("control:campaign_board", (c.pk,), state="submitted"),
                hint=c.title,
            )
        )
    # Both figures are of open opinions: narrowing to them first lets the database use the
    # status index instead of reading a province's 200,000 opinions.
    opinions = (
        visible_opinions(access)
        .filter(status__in=Opinion.OPEN_STATUSES)
        .aggregate(
            overdue=Count("pk", filter=overdue_q(today)),
            new=Count("pk", filter=Q(status=Opinion.Status.NEW)),
        )
    )
    group.add(
        Item(
            "opinions_overdue",
            "已超期意见",
            opinions["overdue"],
            _url("control:opinion_list", mine="0", due="overdue"),
            urgent=True,
        )
    )
    group.add(
        Item(
            "opinions_new",
            "待交办意见",
            opinions["new"],
            _url("control:opinion_list", mine="0", status="new"),
        )
    )
    events = _with_flags(managed_events(access)).aggregate(
        week=Count("pk", filter=_week_q(today)),
        no_summary=Count("pk", filter=_no_summary_q(now)),
    )
    group.add(
        Item("events_week", "本周活动", events["week"], _url("control:event_list", todo="week"))
    )
    group.add(
        Item(
            "events_no_summary",
            "已举办未报送总结",
            events["no_summary"],
            _url("control:event_list", todo="no_summary"),
        )
    )
    articles = visible_articles(access).filter(status=Article.Status.SUBMITTED).count()
    group.add(
        Item(
            "articles_submitted",
            "待审核稿件",
            articles,
            _url("control:article_list", status=Article.Status.SUBMITTED),
        )
    )
    return group


def runnable_units(access: "Access") -> "QuerySet[Org]":
    """The orgs the viewer may run events for, in SQL: visible_orgs() of the kinds an event is
    run for, narrowed by events.access.can_run_event_for (an operator, or a membership with a
    running role at or above the org: its path a prefix of the org's). Those orgs all lie in
    visible_orgs(), so that filter adds nothing and is left out. tests/test_scale_lists.py
    compares this with the per-org check for every demo persona."""
    from openday.events.access import RUNNING_ROLES

    from .models import Org

    return Org.objects.filter(
        access.scope_q(RUNNING_ROLES),
        kind__in=[Org.Kind.UNIT, Org.Kind.DEPARTMENT, Org.Kind.OFFICE],
    )


def plan_entries_to_create(access: "Access") -> "QuerySet[PlanEntry]":
    """Entries of a published 计划安排表 whose event the viewer may create and nobody has yet."""
    from openday.campaigns.models import PlanEntry

    return PlanEntry.objects.filter(
        event=None,
        unit__in=runnable_units(access),
        campaign__plan_published_at__isnull=False,
    )


def _unit(access: "Access", today: date, now: datetime) -> Group | None:
    from openday.events.access import managed_events
    from openday.events.models import Event
    from openday.opinions.access import visible as visible_opinions
    from openday.opinions.models import Opinion, answering_q

    if access.is_operator or not access.has_role(*UNIT_ROLES):
        return None
    group = Group("unit", "本单位")
    group.add(
        Item(
            "events_to_create",
            "计划中待创建的活动",
            plan_entries_to_create(access).count(),
            _url("control:event_list"),
            hint="计划安排表已排定、还没有创建的活动：点“据此创建活动”，内容已按计划填好",
        )
    )
    events = _with_flags(managed_events(access)).aggregate(
        draft=Count("pk", filter=Q(status=Event.Status.DRAFT)),
        open=Count("pk", filter=Q(status=Event.Status.OPEN)),
        no_summary=Count("pk", filter=_no_summary_q(now)),
        no_article=Count("pk", filter=_no_article_q(now)),
    )
    group.add(
        Item(
            "events_draft",
            "活动草稿未发布",
            events["draft"],
            _url("control:event_list", status=Event.Status.DRAFT),
        )
    )
    group.add(
        Item(
            "events_open",
            "报名中的活动",
            events["open"],
            _url("control:event_list", status=Event.Status.OPEN),
        )
    )
    group.add(
        Item(
            "events_no_summary",
            "已举办未报送总结",
            events["no_summary"],
            _url("control:event_list", todo="no_summary"),
        )
    )
    group.add(
        Item(
            "events_no_article",
            "已举办未发布稿件",
            events["no_article"],
            _url("control:event_list", todo="no_article"),
        )
    )
    # Both figures are of the statuses below (answering_q): see _office.
    opinions = (
        visible_opinions(access)
        .filter(
            status__in=[Opinion.Status.ASSIGNED, Opinion.Status.RETURNED, Opinion.Status.ANSWERED]
        )
        .aggregate(
            answering=Count("pk", filter=answering_q()),
            answered=Count("pk", filter=Q(status=Opinion.Status.ANSWERED)),
        )
    )
    group.add(
        Item(
            "opinions_answering",
            "意见待答复",
            opinions["answering"],
            _url("control:opinion_list", mine="0", status="answering"),
        )
    )
    if access.has_role(Role.UNIT_ADMIN):
        group.add(
            Item(
                "opinions_answered",
                "答复待审核",
                opinions["answered"],
                _url("control:opinion_list", mine="0", status=Opinion.Status.ANSWERED),
            )
        )
    return group


INBOX_SHOWN = 10


def _inbox(access: "Access", today: date) -> Group | None:
    from openday.opinions.models import Opinion, overdue_q

    mine = Opinion.objects.filter(assignee_id=access.user.pk, status__in=Opinion.OPEN_STATUSES)
    first = list(
        mine.select_related("unit").order_by(F("due_date").asc(nulls_last=True), "id")[:INBOX_SHOWN]
        if access.user.is_authenticated
        else []
    )
    if not first and not access.has_role(Role.HANDLER):
        return None
    group = Group("inbox", "我的待办意见", opinions=first)
    if not first:
        return group
    counts = mine.aggregate(all=Count("pk"), overdue=Count("pk", filter=overdue_q(today)))
    group.add(
        Item(
            "inbox_overdue",
            "已超期",
            counts["overdue"],
            _url("control:opinion_list", mine="1", due="overdue"),
            urgent=True,
        )
    )
    group.add(Item("inbox", "交办给我", counts["all"], _url("control:opinion_list", mine="1")))
    return group


def _operator(access: "Access") -> Group | None:
    from openday.ops.housekeeping import LABELS, last_run

    if not access.is_operator:
        return None
    group = Group("operator", "系统运维")
    run = last_run()
    if run is not None and run.ok is False and run.failed_steps:
        names = "、".join(LABELS.get(n, n) for n in run.failed_steps)
        group.add(
            Item(
                "ops_failed",
                "例行维护失败步骤",
                len(run.failed_steps),
                reverse("control:ops_status"),
                urgent=True,
                hint=names,
            )
        )
    return group


def todo_for(access: "Access") -> Todo:
    """The to-do groups that apply to this person (see the module's docstring)."""
    today = timezone.localdate()
    now = timezone.now()
    groups = [
        g
        for g in (
            _inbox(access, today),
            _office(access, today, now),
            _unit(access, today, now),
            _operator(access),
        )
        if g is not None
    ]
    return Todo(groups, today)
