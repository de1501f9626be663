"""Staff pages for the public's opinions: the list and the inbox, typing in and importing forum
notes, one opinion's closed loop (sort, assign, answer, rectify, review, publish) and call-backs.

Who may do what is decided in openday.opinions.access; the rules of each move in its services.
"""

import io
import logging
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from openday.audit.models import AuditEntry
from openday.control.forms import errors_text
from openday.events.models import Event
from openday.lib import params as param
from openday.lib.edge import Form
from openday.lib.export_text import append_row
from openday.lib.keyset import KeysetPage
from openday.lib.masking import mask_name
from openday.lib.spreadsheet import upload_problem
from openday.opinions import drafting, services
from openday.opinions import figures as calc
from openday.opinions import forms as of
from openday.opinions.access import (
    access_opinion,
    can_answer,
    can_assign_person,
    can_enter_for,
    can_review,
    can_see,
    can_sort,
    visible,
    visible_scope,
)
from openday.opinions.models import Callback, Evidence, Opinion, answering_q, overdue_q
from openday.opinions.services import Refused
from openday.orgs.models import Membership, Org, Role

from .shortcuts import XLSX, apply_errors, download, staff_required

S = Opinion.Status
OPEN = Opinion.OPEN_STATUSES
ENTER_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_ADMIN, Role.UNIT_STAFF}
PAGE_SIZE = 30
SOON_DAYS = 3
NOT_ENTERER = "只有单位管理员、单位工作人员和政务公开办管理员可以录入意见建议。"
NOT_CALLER = "只有单位管理员、单位工作人员和政务公开办管理员可以电话回访。"


# --- Scope helpers ------------------------------------------------------------------------------


def _enters(access):
    return access.is_operator or any(m.role in ENTER_ROLES for m in access.memberships)


def _entry_q(access, field=""):
    """Rows whose org (field, or the row itself when empty) is where the user may enter."""
    return access.scope_q(ENTER_ROLES, field=f"{field}__path" if field else "path")


def _entry_events(access):
    """Events of the orgs the user may enter opinions for, newest first."""
    return (
        Event.objects.filter(_entry_q(access, "unit"))
        .select_related("unit", "campaign")
        .order_by("-starts_at")
    )


def _entry_offices(access):
    offices = Org.objects.filter(kind=Org.Kind.OFFICE, is_active=True).order_by("path")
    if not access.is_operator:
        offices = offices.filter(_entry_q(access))
    return [o for o in offices if can_enter_for(access, o)]


def _pick_event(access, events, wanted):
    """The event asked for by ?event=, checked; added to the choices when older than they go."""
    if not wanted:
        return None
    event = (
        Event.objects.select_related("unit", "campaign").filter(pk=param.id_or_none(wanted)).first()
        if param.id_or_none(wanted)
        else None
    )
    if event is None or not can_enter_for(access, event.unit):
        raise PermissionDenied("您无权为该活动录入意见。")
    if event not in events:
        events.insert(0, event)
    return event


def _where(access, cleaned, events, offices):
    """(event, office) chosen on an entry form, checked with can_enter_for."""
    event = next((e for e in events if e.pk == cleaned.get("event")), None)
    office = None
    if event is None:
        office = next((o for o in offices if o.pk == cleaned.get("office")), None)
    target = event.unit if event is not None else office
    if target is not None and not can_enter_for(access, target):
        raise PermissionDenied("您无权为该单位录入意见。")
    return event, office


# --- The list, the inbox and the export ---------------------------------------------------------


def _mine(request):
    """The inbox: asked for with ?mine=1; where handlers land when they ask for nothing."""
    value = request.GET.get("mine")
    if value is not None:
        return value == "1"
    access = request.access
    return not access.is_operator and access.roles() == {Role.HANDLER}


FILTERS = ("status", "event", "unit", "topic_area", "topic", "due", "source", "q")


def _filtered(request, seen=None):
    """(queryset, filters, mine) of the list and the export; `seen` is visible(access)."""
    access = request.access
    qs = (seen if seen is not None else visible(access)).select_related(
        "event", "unit", "assignee", "office"
    )
    f = {k: request.GET.get(k, "").strip() for k in FILTERS}
    mine = _mine(request)
    if mine:
        qs = qs.filter(assignee=request.user, status__in=OPEN)
    if f["status"] == "open":
        qs = qs.filter(status__in=OPEN)
    elif f["status"] == "answering":
        qs = qs.filter(answering_q())
    elif f["status"] in S.values:
        qs = qs.filter(status=f["status"])
    if event_id := param.id_or_none(f["event"]):
        qs = qs.filter(event_id=event_id)
    if unit_id := param.id_or_none(f["unit"]):
        qs = qs.filter(unit_id=unit_id)
    if f["topic_area"]:
        qs = qs.filter(topic_area=f["topic_area"])
    if f["topic"]:
        qs = qs.filter(topic=f["topic"])
    today = timezone.localdate()
    if f["due"] == "overdue":
        qs = qs.filter(overdue_q(today))
    elif f["due"] == "soon":
        qs = qs.filter(
            status__in=OPEN, due_date__gte=today, due_date__lte=today + timedelta(days=SOON_DAYS)
        )
    if f["source"] in Opinion.Source.values:
        qs = qs.filter(source=f["source"])
    if f["q"]:
        qs = qs.filter(Q(content__icontains=f["q"]) | Q(tracking_code__icontains=f["q"]))
    return qs, f, mine


def _overdue_days(opinion, today):
    return (today - opinion.due_date).days if opinion.is_overdue(today) else 0


def _page(qs, query, narrow=False):
    """A page of the list, newest first (Opinion's ordering), by keyset (openday/lib/keyset.py)."""
    return KeysetPage(qs, query, field="received_at", size=PAGE_SIZE, narrow=narrow)


EVENT_CHOICES = 300
UNIT_CHOICES = 300
CHOICES_SECONDS = 300


def _choices(access, seen, narrow):
    """The filter dropdowns: events (newest first) and responsible units having opinions the
    viewer sees, and the topic areas and categories used; counted once per scope and change
    of the orgs and events, for CHOICES_SECONDS (opinions.figures.cached), EVENT_CHOICES and
    UNIT_CHOICES at most.
    A narrow scope (visible_scope) starts from its few opinions, a wide one from the events
    and units, each checked for an opinion through the foreign-key index."""

    def having(model, field):
        if narrow:  # listed ids: the planner would walk every event or unit otherwise
            ids = seen.order_by().exclude(**{field: None}).values_list(field, flat=True)
            return model.objects.filter(pk__in=list(ids.distinct()))
        return model.objects.filter(Exists(seen.filter(**{field: OuterRef("pk")})))

    def compute():
        events = (
            having(Event, "event_id")
            .order_by("-starts_at", "-id")
            .values("pk", "title")[:EVENT_CHOICES]
        )
        units = (
            having(Org, "unit_id")
            .order_by("path")
            .values("pk", "name", "short_name")[:UNIT_CHOICES]
        )
        return {
            "events": list(events),
            "units": [{"pk": u["pk"], "display_name": u["short_name"] or u["name"]} for u in units],
            "topic_areas": _distinct(seen, "topic_area"),
            "topics": _distinct(seen, "topic"),
        }

    # Not keyed by the opinions' version (bumped by every change of any opinion): the choices
    # may lag CHOICES_SECONDS behind a new event, unit or topic; the one filtered by is added.
    return calc.cached(
        access,
        "opinion-list-choices",
        (),
        compute,
        scopes=("site", "events", "campaigns"),
        seconds=CHOICES_SECONDS,
    )


def _with_chosen(rows, wanted, model, label):
    """The choices, plus the one asked for by the filter when it is beyond the first ones."""
    pk = param.id_or_none(wanted)
    if pk is None or any(r["pk"] == pk for r in rows):
        return rows
    obj = model.objects.filter(pk=pk).first()
    return [{"pk": obj.pk, label: getattr(obj, label)}, *rows] if obj is not None else rows


@staff_required
def opinion_list(request):
    return _list_page(request)


def _list_page(request, bulk=None, status=200):
    """The list; `bulk` holds a rejected bulk form's values (the ids ticked and the fields)."""
    access = request.access
    seen, narrow = visible_scope(access)
    qs, f, mine = _filtered(request, seen)
    page = _page(qs, request.GET, narrow=narrow)
    today = timezone.localdate()
    for o in page:
        o.overdue_days = _overdue_days(o, today)
    params = {k: v for k, v in f.items() if v}
    params["mine"] = "1" if mine else "0"
    query = urlencode(params) + "&"
    back = dict(params, **page.position)
    inbox = Opinion.objects.filter(assignee=request.user, status__in=OPEN).count()
    choices = _choices(access, seen, narrow)
    return render(
        request,
        "control/opinions/list.html",
        {
            "page": page,
            "keyset": page,
            "f": f,
            "mine": mine,
            "query": query,
            "inbox": inbox,
            "export_query": urlencode(params),
            "filtered": any(f.values()),
            "statuses": S.choices,
            "sources": Opinion.Source.choices,
            "events": _with_chosen(choices["events"], f["event"], Event, "title"),
            "units": _with_chosen(choices["units"], f["unit"], Org, "display_name"),
            "topic_areas": choices["topic_areas"],
            "topics": choices["topics"],
            "can_enter": _enters(access),
            "soon_days": SOON_DAYS,
            "bulk": _bulk_bar(access, page, urlencode(back), bulk),
        },
        status=status,
    )


# --- Bulk assign and bulk approve -----------------------------------------------------------------

BULK_PEOPLE = 500


def _bulk_bar(access, page, back, values=None):
    """Marks each row the viewer may tick (o.bulk_assign: 待交办 etc. under an office the viewer
    runs; o.bulk_review: 待审核 answers the viewer may approve) and what the bar offers."""
    assign_offices, review = {}, False
    values = values or {}
    selected = set(values.get("ids", ()))
    for o in page:
        o.bulk_assign = o.status in OPEN and can_sort(access, o)
        o.bulk_review = o.status == S.ANSWERED and can_review(access, o)
        o.bulk_checked = o.pk in selected
        if o.bulk_assign:
            assign_offices[o.office_id] = o.office
        review = review or o.bulk_review
    if not assign_offices and not review:
        return None
    units, people = [], []
    if assign_offices:
        under = Q(pk__in=[])
        for office in assign_offices.values():
            under |= Q(path__startswith=office.path)
        units = list(
            Org.objects.filter(under, is_active=True)
            .exclude(pk__in=assign_offices)
            .order_by("path")[:BULK_PEOPLE]
        )
        people = _bulk_people(assign_offices.values())
    return {
        "assign": bool(assign_offices),
        "review": review,
        "units": units,
        "people": people,
        "back": back,
        "limit": services.BULK_LIMIT,
        "unit": values.get("unit"),
        "assignee": values.get("assignee"),
        "due_days": values.get("due_days", ""),
        "publish": values.get("publish", False),
    }


def _bulk_people(offices):
    """Who may be named responsible under the offices' units, "姓名（单位）", one query."""
    under = Q(pk__in=[])
    for office in offices:
        under |= Q(org__path__startswith=office.path)
    memberships = (
        Membership.objects.filter(under, user__is_active=True)
        .exclude(role=Role.VIEWER)
        .exclude(org__kind=Org.Kind.OFFICE)
        .select_related("user", "org")
        .order_by("org__path", "user__full_name")[:BULK_PEOPLE]
    )
    seen, people = set(), []
    for m in memberships:
        if m.user_id not in seen:
            seen.add(m.user_id)
            people.append((m.user_id, f"{m.user.get_full_name()}（{m.org.name}）"))
    return people


def _list_url(raw):
    """Back to the list with the filters it had (only the list's own parameters)."""
    given = QueryDict(raw or "")
    kept = {k: given[k] for k in (*FILTERS, "mine", "before", "after") if given.get(k)}
    url = reverse("control:opinion_list")
    return f"{url}?{urlencode(kept)}" if kept else url


def _bulk_again(request, values, problem):
    """A bulk form with bad values: the list again, with what was ticked and typed, and why."""
    messages.error(request, problem)
    request.GET = QueryDict(request.POST.get("back", ""))
    return _list_page(request, bulk=values, status=400)


@staff_required
@require_POST
def opinion_bulk(request):
    """批量交办 (office admins) and 批量审核通过 (unit admins and the office above): the single
    moves, one opinion at a time, each checked with the single move's access rule."""
    access = request.access
    action = request.POST.get("action", "")
    if action == "assign":
        if not access.has_role(Role.OFFICE_ADMIN):
            raise PermissionDenied("只有政务公开办管理员可以批量交办。")
    elif action == "approve":
        if not access.has_role(Role.OFFICE_ADMIN, Role.UNIT_ADMIN):
            raise PermissionDenied("只有单位管理员和政务公开办管理员可以批量审核。")
    else:
        raise PermissionDenied("不支持的操作。")
    raw_ids = request.POST.getlist("ids")
    ids = [param.id_or_none(v) for v in raw_ids]
    values = {
        "ids": [i for i in ids if i is not None],
        "unit": param.id_or_none(request.POST.get("unit")),
        "assignee": param.id_or_none(request.POST.get("assignee")),
        "due_days": request.POST.get("due_days", "").strip(),
        "publish": bool(request.POST.get("publish")),
    }
    if not raw_ids:
        return _bulk_again(request, values, "请先勾选要处理的意见。")
    if None in ids:
        return _bulk_again(request, values, "所选意见的编号不正确，请重新勾选。")
    if len(set(ids)) > services.BULK_LIMIT:
        return _bulk_again(
            request,
            values,
            f"一次最多处理{services.BULK_LIMIT}条，本次选择了{len(set(ids))}条。",
        )
    if action == "assign":
        unit = Org.objects.filter(pk=values["unit"] or 0, is_active=True).first()
        if unit is None or not access.is_office_admin_over(unit):
            return _bulk_again(request, values, "请选择责任单位。")
        assignee = None
        if values["assignee"]:
            assignee = next(
                (p for p in services.handlers_of(unit) if p.pk == values["assignee"]), None
            )
            if assignee is None:
                return _bulk_again(request, values, "责任人应是该单位（或其部门）的工作人员。")
        due_days = None
        if values["due_days"]:
            due_days = param.id_or_none(values["due_days"])
            if due_days is None or not 1 <= due_days <= 90:
                return _bulk_again(request, values, "办理期限应在1到90个工作日之间。")
        try:
            result = services.bulk_assign(
                request.user, ids, unit=unit, assignee=assignee, due_days=due_days
            )
        except Refused as exc:
            return _bulk_again(request, values, exc.message)
        text = result.summary(f"已交办给{unit.name}")
    else:
        try:
            result = services.bulk_review(request.user, ids, publish=values["publish"])
        except Refused as exc:
            return _bulk_again(request, values, exc.message)
        text = result.summary("已审核通过并公开" if values["publish"] else "已审核通过")
    (messages.warning if result.refused else messages.success)(request, text)
    return redirect(_list_url(request.POST.get("back", "")))


def _distinct(qs, name):
    return list(
        qs.exclude(**{name: ""}).order_by(name).values_list(name, flat=True).distinct()[:200]
    )


EXPORT_HEADERS = [
    "查询码",
    "收到时间",
    "来源",
    "意见内容",
    "公开摘要",
    "主题领域",
    "分类",
    "姓名",
    "手机号",
    "参加人类别",
    "活动",
    "受理的政务公开办",
    "责任单位",
    "责任人",
    "办理期限",
    "期限为预计",
    "超期天数",
    "状态",
    "采纳情况",
    "答复",
]


@staff_required
def opinion_export(request):
    """The filtered list as xlsx; names and phones masked as on the pages."""
    qs, _f, _mine = _filtered(request)
    today = timezone.localdate()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("意见建议")
    append_row(ws, EXPORT_HEADERS)
    for o in qs.iterator(chunk_size=500):
        append_row(
            ws,
            [
                o.tracking_code,
                timezone.localtime(o.received_at).strftime("%Y-%m-%d %H:%M"),
                o.get_source_display(),
                o.content,
                o.summary,
                o.topic_area,
                o.topic,
                o.masked_name,
                o.masked_phone,
                o.get_category_display(),
                o.event.title if o.event else "",
                o.office.name,
                o.unit.name if o.unit else "",
                o.assignee.get_full_name() if o.assignee else "",
                o.due_date.isoformat() if o.due_date else "",
                "是" if o.due_estimated else "",
                _overdue_days(o, today) or "",
                o.get_status_display(),
                o.get_decision_display(),
                o.answer,
            ],
        )
    out = io.BytesIO()
    wb.save(out)
    stamp = timezone.localtime().strftime("%Y%m%d")
    return download(out.getvalue(), XLSX, f"意见建议-{stamp}.xlsx")


# --- Typing in and importing --------------------------------------------------------------------


def _local_input(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@staff_required
def opinion_create(request):
    """Forum notes, phone calls, paper cards typed in by staff; "save and add another" keeps the
    event, the source and the time so a forum's notes go in one after another."""
    access = request.access
    if not _enters(access):
        raise PermissionDenied(NOT_ENTERER)
    events = list(_entry_events(access)[:200])
    event = _pick_event(access, events, request.GET.get("event"))
    offices = _entry_offices(access)
    received = request.GET.get("received", "")
    initial = {
        "source": request.GET.get("source")
        if request.GET.get("source") in dict(of.STAFF_SOURCES)
        else "forum",
        "event": event.pk if event else None,
        "office": None
        if event
        else request.GET.get("office") or (offices[0].pk if len(offices) == 1 else None),
        "received_at": received
        or _local_input(
            event.starts_at if event and event.starts_at < timezone.now() else timezone.now()
        ),
    }
    form = of.EntryForm(request.POST or None, events=events, offices=offices, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        event, office = _where(access, d, events, offices)
        try:
            opinion = services.submit_opinion(
                content=d["content"],
                source=d["source"],
                event=event,
                office=office,
                name=d["name"],
                phone=d["phone"],
                category=d["category"],
                actor=request.user,
                received_at=d["received_at"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # A unit's staff typing in for its own event may not see the opinion until the
            # office sends it back to the unit: they go on typing instead.
            visible_now = can_see(access, opinion)
            if "another" in request.POST or not visible_now:
                messages.success(
                    request,
                    f"已录入，查询码 {opinion.tracking_code}。"
                    + (
                        "请继续录入下一条。"
                        if "another" in request.POST
                        else "政务公开办交办给本单位后，可在意见列表中查看和办理。"
                    ),
                )
                params = {"source": d["source"], "received": _local_input(d["received_at"])}
                if event is not None:
                    params["event"] = event.pk
                elif office is not None:
                    params["office"] = office.pk
                return redirect(f"{reverse('control:opinion_create')}?{urlencode(params)}")
            messages.success(request, f"已录入意见，查询码 {opinion.tracking_code}。")
            return redirect("control:opinion_detail", opinion.pk)
    recent = []
    if event is not None:
        recent = list(
            Opinion.objects.filter(created_by=request.user, event=event)
            .select_related("office", "unit")
            .order_by("-created_at", "-id")[:10]
        )
        for o in recent:
            o.visible = can_see(access, o)
    return render(
        request,
        "control/opinions/form.html",
        {
            "form": form,
            "event": event,
            "recent": recent,
        },
        status=400 if form.errors else 200,
    )


@staff_required
def opinion_import(request):
    access = request.access
    if not _enters(access):
        raise PermissionDenied(NOT_ENTERER)
    events = list(_entry_events(access)[:200])
    event = _pick_event(access, events, request.GET.get("event"))
    offices = _entry_offices(access)
    initial = {
        "source": "forum",
        "event": event.pk if event else None,
        "office": offices[0].pk if len(offices) == 1 else None,
    }
    form = of.ImportForm(
        request.POST or None, request.FILES or None, events=events, offices=offices, initial=initial
    )
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        problem = upload_problem(upload)
        if problem:
            form.add_error("file", problem)
        else:
            default_event, default_office = _where(access, form.cleaned_data, events, offices)
            allowed = {e.pk: e for e in _entry_events(access)}
            result = of.read_workbook(
                upload.read(),
                source=form.cleaned_data["source"],
                events=allowed,
                default_event=default_event,
                default_office=default_office,
            )
            if result.ok:
                result = _create_rows(request, result)
        if result is not None and result.ok:
            messages.success(request, f"已导入 {result.created} 条意见建议。")
            return redirect(
                reverse("control:opinion_list") + "?mine=0&source=" + form.cleaned_data["source"]
            )
    return render(
        request,
        "control/opinions/import.html",
        {
            "form": form,
            "result": result,
        },
        status=400 if (result and not result.ok) or form.errors else 200,
    )


def _create_rows(request, result):
    """Every checked row becomes an opinion, or (should one still be refused) none does."""
    try:
        with transaction.atomic():
            for n, row in enumerate(result.details["rows"], 1):
                try:
                    services.submit_opinion(actor=request.user, **row)
                except ValidationError as exc:
                    result.add_error(n + 1, "；".join(exc.messages))
                    raise
                result.created += 1
    except ValidationError:
        result.created = 0
    return result


@staff_required
def opinion_import_template(request):
    access = request.access
    if not _enters(access):
        raise PermissionDenied(NOT_ENTERER)
    return download(
        of.template_workbook(_entry_events(access)[:200]), XLSX, "座谈会意见录入表.xlsx"
    )


# --- One opinion --------------------------------------------------------------------------------


def _units_for(access, opinion):
    """Where the opinion may be sent: the office picks any unit under it; a unit keeps it."""
    if can_sort(access, opinion):
        return list(
            Org.objects.filter(path__startswith=opinion.office.path, is_active=True)
            .exclude(pk=opinion.office_id)
            .order_by("path")
        )
    return [opinion.unit] if opinion.unit_id else []


def _assign_form(request, opinion, data=None):
    units = _units_for(request.access, opinion)
    wanted = (data or request.GET).get("unit") or opinion.unit_id
    unit = next((u for u in units if str(u.pk) == str(wanted)), None)
    people = services.handlers_of(unit) if unit is not None else []
    initial = {"unit": unit.pk if unit else None, "assignee": opinion.assignee_id}
    if opinion.status == S.NEW:
        initial["due_days"] = services.due_days_for(opinion)
    form = of.AssignForm(data, units=units, people=people, initial=initial)
    form.people = people
    form.units = units
    return form


def _timeline(opinion):
    return (
        AuditEntry.objects.filter(object_type="opinions.opinion", object_id=str(opinion.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )


def _suggestions(opinion):
    """Triage for this opinion: category, unit, likely duplicates. Never breaks the page."""
    import logging

    from openday.opinions import triage

    try:
        category, note = triage.category_suggestions(opinion)
        return {
            "category": category,
            "category_note": note,
            "unit": triage.suggest_unit(opinion, top=2),
            "duplicates": triage.duplicates_of(opinion) if opinion.status in OPEN else [],
        }
    except Exception:  # the suggestions are a help; the page must work without them
        logging.getLogger(__name__).exception("triage failed for opinion %s", opinion.pk)
        return None


def _classify_form(opinion, data=None, **kwargs):
    """The 分类 field offers the office's own category list (and the opinion's current value)."""
    from openday.opinions import triage

    return of.ClassifyForm(
        data, categories=triage.categories_of(opinion.office), current=opinion.topic, **kwargs
    )


def _triage_page(access, opinion):
    """The office's triage models page, when this user may open it."""
    from openday.opinions import triage

    if not triage.can_see_page(access, opinion.office):
        return None
    return reverse("control:triage_index") + f"?office={opinion.office_id}"


def _detail(request, opinion, bound=None, status=200):
    access = request.access
    bound = bound or {}
    st = opinion.status
    sort = can_sort(access, opinion)
    assign = can_assign_person(access, opinion)
    answer = can_answer(access, opinion)
    review = can_review(access, opinion)
    show = {
        "classify": sort and st != S.MERGED,
        "assign": assign and st in OPEN,
        "answer": answer and st in (S.ASSIGNED, S.RETURNED, S.ANSWERED),
        "steps": answer and st not in (S.NEW, S.MERGED),
        "review": review and st == S.ANSWERED,
        "publish": review and st == S.APPROVED,
        "unpublish": review and st == S.PUBLISHED,
        "merge": sort and st in OPEN,
        "split": sort and st in OPEN,
    }
    forms = {
        "classify": _classify_form(
            opinion,
            initial={
                "topic_area": opinion.topic_area,
                "topic": opinion.topic,
                "summary": opinion.summary,
            },
        ),
        "assign": _assign_form(request, opinion) if show["assign"] else None,
        "answer": of.AnswerForm(initial={"decision": opinion.decision, "answer": opinion.answer}),
        "step": of.StepForm(),
        "review": of.ReviewForm(),
        "unpublish": of.UnpublishForm(),
        "merge": of.MergeForm(),
        "split": of.SplitForm(initial={"parts": opinion.content}),
    }
    drafts = references = None
    if show["answer"]:
        drafts = _drafts(opinion)
        references = _references(access, opinion)
        if "answer" not in bound:
            forms["answer"] = _answer_form(request, opinion, drafts, references)
    forms.update(bound)
    today = timezone.localdate()
    topic_areas = list(opinion.campaign.topic_areas) if opinion.campaign_id else []
    steps = list(opinion.steps.prefetch_related("evidence"))
    suggestions = _suggestions(opinion) if (show["classify"] or show["assign"]) else None
    return render(
        request,
        "control/opinions/detail.html",
        {
            "suggestions": suggestions,
            "triage_page": _triage_page(access, opinion),
            "o": opinion,
            "show": show,
            "forms": forms,
            "timeline": _timeline(opinion),
            "overdue_days": _overdue_days(opinion, today),
            "steps": steps,
            "today": today,
            "topic_areas": topic_areas,
            "merged": opinion.merged.all(),
            "parts": opinion.parts.all(),
            "reassigning": opinion.status != S.NEW,
            "callbacks": opinion.callbacks.all() if _enters(access) else None,
            "drafts": drafts,
            "references": references,
        },
        status=status,
    )


def _drafts(opinion):
    """[(code, label, text)] of the answer drafts, one per decision."""
    texts = drafting.answer_drafts(opinion)
    return [(code, label, texts[code]) for code, label in Opinion.Decision.choices]


def _references(access, opinion):
    """Similar reviewed answers of the office; a failing engine shows nothing, breaks nothing."""
    try:
        return drafting.similar_answers(opinion, access)
    except Exception:  # the references are a help; the page must work without them
        logging.getLogger(__name__).exception("similar answers failed for opinion %s", opinion.pk)
        return []


def _answer_form(request, opinion, drafts, references):
    """The answer form, filled with a draft (?draft=adopted) or a reference answer (?ref=id)
    when asked for by the page's links: what "使用此稿" and "参考此答复" do without scripts."""
    initial = {"decision": opinion.decision, "answer": opinion.answer}
    wanted = request.GET.get("draft", "") if request.method == "GET" else ""
    for code, _label, text in drafts:
        if code == wanted:
            initial = {"decision": code, "answer": text}
    ref = param.id_or_none(request.GET.get("ref")) if request.method == "GET" else None
    for r in references:
        if ref and r.pk == ref:
            initial["answer"] = r.answer
    return of.AnswerForm(initial=initial)


@staff_required
def opinion_detail(request, opinion_id):
    opinion = access_opinion(request, opinion_id)
    return _detail(request, opinion)


# Each action: (access check, refusal, form class, perform(request, opinion, form) -> message,
# page anchor, whether a failed form is shown again on the page).


def _do_classify(request, opinion, form):
    from openday.opinions import triage
    from openday.opinions.models import TriageModel

    d = form.cleaned_data
    services.classify(request.user, opinion, **d)
    if d.get("topic"):
        # Accepting or correcting the suggestion: either way it is a label to learn from.
        triage.record_label(
            request.user,
            opinion,
            TriageModel.Target.CATEGORY,
            d["topic"],
            suggested=request.POST.get("suggested_topic", ""),
            confidence=_float(request.POST.get("suggested_confidence")),
        )
    return "分类已保存。"


def _float(value):
    """A classifier confidence from a hidden field: a number in 0..1, else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 1 else None


def _do_assign(request, opinion, form):
    d = form.cleaned_data
    unit = next((u for u in form.units if u.pk == d["unit"]), None)
    if opinion.unit_id and unit is not None and unit.pk != opinion.unit_id:
        if not can_sort(request.access, opinion):
            raise PermissionDenied("只有政务公开办可以改派责任单位。")
    assignee = next((p for p in form.people if p.pk == d["assignee"]), None)
    services.assign(
        request.user,
        opinion,
        unit=unit,
        assignee=assignee,
        due_days=d["due_days"],
        reason=d["reason"],
    )
    from openday.opinions import triage
    from openday.opinions.models import TriageModel

    triage.record_label(
        request.user,
        opinion,
        TriageModel.Target.UNIT,
        unit.pk,
        suggested=request.POST.get("suggested_unit", ""),
    )
    due = f"{opinion.due_date:%Y-%m-%d}" + ("（预计）" if opinion.due_estimated else "")
    who = f"，责任人 {opinion.assignee.get_full_name()}" if opinion.assignee else ""
    return f"已交办给{opinion.unit.name}{who}，办理期限 {due}。"


def _do_answer(request, opinion, form):
    d = form.cleaned_data
    services.answer(request.user, opinion, text=d["answer"], decision=d["decision"])
    return "答复已提交，等待单位管理员审核。"


def _do_add_step(request, opinion, form):
    d = form.cleaned_data
    services.add_step(
        request.user,
        opinion,
        description=d["description"],
        planned_date=d["planned_date"],
    )
    return "整改措施已添加。"


def _step(opinion, step_id):
    return get_object_or_404(opinion.steps, pk=step_id)


def _do_complete_step(request, opinion, form):
    d = form.cleaned_data
    step = _step(opinion, d["step"])
    services.complete_step(request.user, step, done_date=d["done_date"])
    return f"已标记“{step.description}”完成。"


def _do_evidence(request, opinion, form):
    d = form.cleaned_data
    step = _step(opinion, d["step"])
    services.add_evidence(request.user, step, d["file"])
    return "佐证材料已上传。"


def _do_review(request, opinion, form):
    d = form.cleaned_data
    outcome = d["outcome"]
    services.review(
        request.user,
        opinion,
        approve=outcome != "return",
        note=d["note"],
        publish=outcome == "publish",
    )
    return {
        "approve": "审核通过。可以公开办理结果。",
        "publish": "审核通过，办理结果已公开。",
        "return": "已退回修改。",
    }[outcome]


def _do_publish(request, opinion, form):
    services.publish_result(request.user, opinion)
    return "办理结果已公开，并已短信通知留了手机号的提出人。"


def _do_unpublish(request, opinion, form):
    d = form.cleaned_data
    services.unpublish(request.user, opinion, reason=d["reason"])
    return "已撤回公开。"


def _do_merge(request, opinion, form):
    d = form.cleaned_data
    found = {
        o.tracking_code: o
        for o in Opinion.objects.select_related("office").filter(tracking_code__in=d["codes"])
    }
    others = []
    for code in d["codes"]:
        other = found.get(code)
        if other is None or not can_sort(request.access, other):
            raise ValidationError({"codes": f"找不到查询码为 {code} 的意见，或您无权合并它。"})
        if other.pk == opinion.pk:
            raise ValidationError({"codes": f"{code} 就是本条意见。"})
        if other.office_id != opinion.office_id:
            raise ValidationError({"codes": f"{code} 由其他政务公开办受理，不能合并。"})
        others.append(other)
    services.merge(request.user, opinion, others)
    return f"已将 {'、'.join(d['codes'])} 合并到本条意见。"


def _do_split(request, opinion, form):
    d = form.cleaned_data
    made = services.split(request.user, opinion, d["parts"])
    return f"已拆分，新增意见 {'、'.join(m.tracking_code for m in made)}。"


ACTIONS = {
    "classify": (can_sort, "您无权分类这条意见。", of.ClassifyForm, _do_classify, "sort", True),
    "assign": (can_assign_person, "您无权交办这条意见。", None, _do_assign, "assign", True),
    "answer": (can_answer, "您无权答复这条意见。", of.AnswerForm, _do_answer, "answer", True),
    "add-step": (can_answer, "您无权填写整改措施。", of.StepForm, _do_add_step, "steps", True),
    "complete-step": (
        can_answer,
        "您无权填写整改措施。",
        of.StepDoneForm,
        _do_complete_step,
        "steps",
        False,
    ),
    "evidence": (can_answer, "您无权上传佐证材料。", of.EvidenceForm, _do_evidence, "steps", False),
    "review": (can_review, "您无权审核这条意见。", of.ReviewForm, _do_review, "review", True),
    "publish": (can_review, "您无权公开这条意见。", None, _do_publish, "review", False),
    "unpublish": (can_review, "您无权撤回公开。", of.UnpublishForm, _do_unpublish, "review", True),
    "merge": (can_sort, "您无权合并意见。", of.MergeForm, _do_merge, "sort", True),
    "split": (can_sort, "您无权拆分这条意见。", of.SplitForm, _do_split, "sort", True),
}
BOUND_AS = {"add-step": "step"}


@staff_required
@require_POST
def opinion_action(request, opinion_id, action):
    if action not in ACTIONS:
        access_opinion(request, opinion_id)
        raise PermissionDenied("不支持的操作。")
    check, refusal, form_class, perform, anchor, show_again = ACTIONS[action]
    opinion = access_opinion(request, opinion_id, check=check, message=refusal)
    back = reverse("control:opinion_detail", args=[opinion.pk]) + f"#{anchor}"
    if action == "assign":
        form = _assign_form(request, opinion, request.POST)
    elif action == "classify":
        form = _classify_form(opinion, request.POST)
    elif form_class is None:
        form = Form(request.POST)
    else:
        form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                done = perform(request, opinion, form)
        except Refused as exc:
            messages.error(request, exc.message)
            return redirect(back)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if action == "answer" and request.POST.get("next") == "1":
                following = _next_to_answer(request, opinion)
                if following is not None:
                    messages.success(request, f"{done}下一条：{following.tracking_code}。")
                    return redirect(
                        reverse("control:opinion_detail", args=[following.pk]) + "#answer"
                    )
                done += "交给您的意见都已答复。"
            messages.success(request, done)
            return redirect(back)
    if not show_again:
        messages.error(request, "未能保存：" + errors_text(form))
        return redirect(back)
    opinion.refresh_from_db()
    messages.error(request, "未能保存，请按提示修改：" + errors_text(form))
    return _detail(request, opinion, bound={BOUND_AS.get(action, action): form}, status=400)


def _next_to_answer(request, opinion):
    """The next opinion assigned to this person and still waiting for their answer
    (提交并答复下一条): those of the same event first, then the soonest due."""
    from django.db.models import Case, Value, When

    from openday.opinions.access import visible

    same_event = When(event_id=opinion.event_id, then=Value(0)) if opinion.event_id else None
    return (
        visible(request.access)
        .filter(
            assignee=request.user, status__in=(Opinion.Status.ASSIGNED, Opinion.Status.RETURNED)
        )
        .exclude(pk=opinion.pk)
        .annotate(other_event=Case(*[w for w in [same_event] if w], default=Value(1)))
        .order_by("other_event", F("due_date").asc(nulls_last=True), "received_at", "pk")
        .first()
    )


@staff_required
def opinion_evidence(request, evidence_id):
    evidence = get_object_or_404(Evidence.objects.select_related("step"), pk=evidence_id)
    access_opinion(request, evidence.step.opinion_id)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("文件不存在。") from exc
    response = FileResponse(
        handle,
        content_type=evidence.content_type,
        filename=evidence.name,
        as_attachment=evidence.content_type == "application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Call-backs ---------------------------------------------------------------------------------


def _callbacks(access):
    return Callback.objects.filter(_entry_q(access, "org"))


def _callback_orgs(access):
    """Whose opinions a list may be built for: the user's own units and offices."""
    if access.is_operator:
        return list(Org.objects.filter(kind=Org.Kind.OFFICE, is_active=True).order_by("path"))
    seen, orgs = set(), []
    for m in access.memberships:
        if m.role in ENTER_ROLES and m.org_id not in seen:
            seen.add(m.org_id)
            orgs.append(m.org)
    return orgs


def _due_for_retry():
    return Q(outcome=Callback.Outcome.TODO) | Q(
        outcome=Callback.Outcome.NO_ANSWER, retry_at__lte=timezone.now()
    )


@staff_required
def callback_list(request):
    access = request.access
    if not _enters(access):
        raise PermissionDenied(NOT_CALLER)
    qs = _callbacks(access).select_related("opinion", "event", "org", "caller")
    event = request.GET.get("event", "").strip()
    outcome = request.GET.get("outcome", "")
    retry = request.GET.get("retry") == "1"
    if event_id := param.id_or_none(event):
        qs = qs.filter(event_id=event_id)
    if outcome in Callback.Outcome.values:
        qs = qs.filter(outcome=outcome)
    if retry:
        qs = qs.filter(_due_for_retry())
    page = Paginator(qs, PAGE_SIZE).get_page(param.page(request.GET.get("page")))
    for c in page:
        c.masked_name = mask_name(c.name) or "（未留姓名）"
    params = {"event": event, "outcome": outcome, "retry": "1" if retry else ""}
    seen = _callbacks(access)
    return render(
        request,
        "control/opinions/callbacks.html",
        {
            "page": page,
            "event": event,
            "outcome": outcome,
            "retry": retry,
            "query": urlencode({k: v for k, v in params.items() if v}) + "&",
            "outcomes": Callback.Outcome.choices,
            "events": Event.objects.filter(pk__in=seen.values("event_id")).order_by("-starts_at"),
            "build_events": _entry_events(access)[:200],
            "build_orgs": _callback_orgs(access),
        },
    )


@staff_required
@require_POST
def callback_build(request):
    access = request.access
    if not _enters(access):
        raise PermissionDenied(NOT_CALLER)
    event_id, org_id = request.POST.get("event", ""), request.POST.get("org", "")
    event = org = None
    if event_id:
        event = get_object_or_404(
            Event.objects.select_related("unit"), pk=param.object_id(event_id)
        )
        if not can_enter_for(access, event.unit):
            raise PermissionDenied("您无权为该活动生成回访名单。")
    elif org_id:
        org = get_object_or_404(Org, pk=param.object_id(org_id))
        if not can_enter_for(access, org):
            raise PermissionDenied("您无权为该单位生成回访名单。")
    else:
        messages.error(request, "请选择活动或单位。")
        return redirect("control:callback_list")
    made = services.build_call_list(request.user, event=event, org=org)
    messages.success(
        request,
        f"回访名单已生成：新增 {made} 人。"
        if made
        else "没有需要新增的回访对象（已在名单中的不会重复添加）。",
    )
    target = reverse("control:callback_list")
    return redirect(f"{target}?event={event.pk}" if event else target)


def _access_callback(request, callback_id):
    callback = get_object_or_404(
        Callback.objects.select_related("opinion", "event", "org", "caller"), pk=callback_id
    )
    if not can_enter_for(request.access, callback.org):
        raise PermissionDenied("您无权回访这位群众。")
    return callback


def _call_page(request, callback, form=None, phone=None, status=200):
    callback.masked_name = mask_name(callback.name) or "（未留姓名）"
    response = render(
        request,
        "control/opinions/callback.html",
        {
            "c": callback,
            "form": form or of.CallbackForm(),
            "phone": phone,
            "reached": Callback.Outcome.REACHED,
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
def callback_detail(request, callback_id):
    """The call page: masked number until the caller reveals it; then the outcome."""
    callback = _access_callback(request, callback_id)
    if request.method != "POST":
        return _call_page(request, callback)
    form = of.CallbackForm(request.POST)
    if form.is_valid():
        try:
            services.log_call(request.user, callback, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已记录回访结果：{callback.get_outcome_display()}。")
            return redirect("control:callback_list")
    return _call_page(request, callback, form=form, status=400)


@staff_required
@require_POST
def callback_reveal(request, callback_id):
    callback = _access_callback(request, callback_id)
    phone = services.reveal_phone(request.user, callback)
    if not phone:
        messages.error(request, "这条回访没有可用的电话号码。")
    return _call_page(request, callback, phone=phone)
