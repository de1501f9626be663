"""Staff pages for events: create from the plan or standalone, registrations, check-in."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openday.campaigns.models import PlanEntry
from openday.control.forms import errors_text
from openday.events import checklist, prefill, services
from openday.events.access import access_event, can_run_event_for, managed_events
from openday.events.forms import CheckinForm, EventForm, RegistrationForm, initial_from
from openday.events.models import Event, Registration
from openday.lib import params as param
from openday.lib.security_headers import allow_camera
from openday.lib.spreadsheet import upload_problem
from openday.orgs import todo
from openday.orgs.models import Org

from .shortcuts import DOCX, XLSX, apply_errors, download, staff_required

PAGE_SIZE = 50


def _units_for(access):
    units = access.visible_orgs().filter(
        kind__in=[Org.Kind.UNIT, Org.Kind.DEPARTMENT, Org.Kind.OFFICE]
    )
    return [u for u in units.order_by("path") if can_run_event_for(access, u)]


@staff_required
def event_list(request):
    # ?status= one event status; ?todo= a dashboard to-do (openday.orgs.todo.EVENT_FILTERS).
    f = {k: request.GET.get(k, "").strip() for k in ("status", "todo")}
    events = managed_events(request.access)
    if f["status"] in Event.Status.values:
        events = events.filter(status=f["status"])
    events = todo.filter_events(events, f["todo"])
    # A page at a time, and the registration counts of that page's events only: a province's
    # office sees 10,000 events and a million registrations (bench/scale.py).
    events = events.select_related("unit").order_by("-starts_at", "-id")
    page = Paginator(events, PAGE_SIZE).get_page(param.page(request.GET.get("page")))
    counts = {
        row["event_id"]: row
        for row in Registration.objects.filter(event_id__in=[e.pk for e in page])
        .values("event_id")
        .annotate(
            confirmed=Count("id", filter=Q(status="confirmed")),
            arrived=Count("id", filter=~Q(checked_in_at=None)),
        )
    }
    for e in page:
        row = counts.get(e.pk, {})
        e.confirmed = row.get("confirmed", 0)
        e.arrived = row.get("arrived", 0)
    entries = (
        todo.plan_entries_to_create(request.access)
        .select_related("unit", "campaign")
        .order_by("week")[:20]
    )
    return render(
        request,
        "control/events/list.html",
        {
            "events": page,
            "page": page,
            "query": urlencode({k: v for k, v in f.items() if v}) + "&",
            "entries": entries,
            "can_create": todo.runnable_units(request.access).exists(),
            "f": f,
            "filtered": any(f.values()),
            "statuses": Event.Status.choices,
            "todos": [(k, label) for k, (label, _q) in todo.EVENT_FILTERS.items()],
        },
    )


@staff_required
def event_create(request):
    access = request.access
    entry = None
    if request.GET.get("plan_entry"):
        entry = get_object_or_404(
            PlanEntry.objects.select_related("unit", "campaign"),
            pk=param.object_id(request.GET["plan_entry"]),
        )
        if not can_run_event_for(access, entry.unit):
            raise PermissionDenied("您无权为该单位创建活动。")
        existing = Event.objects.filter(plan_entry=entry).first()
        if existing is not None:
            messages.info(request, "计划安排表中的这项活动已经创建过，下面是已创建的活动。")
            return redirect("control:event_detail", existing.pk)
        units = [entry.unit]
    else:
        units = _units_for(access)
        if not units:
            raise PermissionDenied("只有单位管理员、单位工作人员和政务公开办管理员可以创建活动。")
    unit = units[0]
    if request.GET.get("unit"):
        unit = next((u for u in units if str(u.pk) == request.GET["unit"]), None)
        if unit is None:
            raise PermissionDenied("您无权为该单位创建活动。")
    initial = {
        "registration_mode": "open",
        "waitlist_limit": 50,
        "capacity": 50,
        "consent_text": services.DEFAULT_CONSENT,
    }
    sources = []
    if entry is not None:
        initial.update(prefill.initial_for_plan_entry(entry, unit))
        sources = prefill.known_from(entry, unit)
    form = EventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields, quotas = form.event_fields()
        if entry is not None:
            fields.update(campaign=entry.campaign, plan_entry=entry)
        publish = request.POST.get("publish") == "1"
        try:
            event = services.create_event(
                request.user, unit, quotas=quotas, publish=publish, **fields
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if publish:
                messages.success(
                    request, "活动已创建并发布，公众可以报名。下面的“下一步”列出还要做的事。"
                )
            else:
                messages.success(request, "活动已创建（草稿）。检查无误后点“发布并开放报名”。")
            return redirect("control:event_detail", event.pk)
    return render(
        request,
        "control/events/form.html",
        {
            "form": form,
            "event": None,
            "unit": unit,
            "units": units,
            "entry": entry,
            "sources": sources,
        },
        status=400 if form.errors else 200,
    )


@staff_required
def event_edit(request, event_id):
    event = access_event(request, event_id, manage=True)
    form = EventForm(request.POST or None, initial=initial_from(event))
    if request.method == "POST" and form.is_valid():
        fields, quotas = form.event_fields()
        try:
            services.update_event(request.user, event, quotas=quotas, **fields)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("control:event_detail", event.pk)
    return render(
        request,
        "control/events/form.html",
        {"form": form, "event": event, "unit": event.unit},
        status=400 if form.errors else 200,
    )


def _event_topics(event):
    """The event's hot topics (热点问题) for its summary; a help, never an error page."""
    import logging

    from openday.opinions.triage import topics_of

    try:
        return topics_of(event.opinions.all())
    except Exception:
        logging.getLogger(__name__).exception("hot topics failed for event %s", event.pk)
        return []


@staff_required
def event_detail(request, event_id):
    event = access_event(request, event_id, manage=True)
    regs = event.registrations.all()
    status = request.GET.get("status", "")
    if status in Registration.Status.values:
        regs = regs.filter(status=status)
    form = RegistrationForm(categories=services.categories(event))
    steps = checklist.steps_for(event, request.access)
    return render(
        request,
        "control/events/detail.html",
        {
            "steps": steps,
            "progress": checklist.progress(steps),
            "topics": _event_topics(event),
            "opinion_count": event.opinions.count(),
            "event": event,
            "registrations": regs,
            "status": status,
            "statuses": Registration.Status.choices,
            "counters": services.counters(event),
            "categories": services.categories(event),
            "seats_left": services.seats_left(event),
            "walkin_form": form,
            # The form only where the seat decision would take it (not once held or summarized).
            "walkin_open": event.registration_window(timezone.now(), staff=True) == "open",
        },
    )


def _satisfaction_survey(request, event):
    """One click: the 活动满意度 survey from its preset, bound to the event, published."""
    from openday.surveys import services as surveys
    from openday.surveys.models import Survey

    existing = event.surveys.order_by("id").first()
    if existing is not None:
        messages.info(request, f"本活动已有问卷“{existing.title}”。")
        return
    try:
        survey = surveys.create_survey(
            request.user,
            event.unit,
            template="event",
            event=event,
            anonymous=True,
            ask_category=True,
        )
        surveys.set_status(request.user, survey, Survey.Status.OPEN)
    except ValidationError as exc:
        messages.error(request, "问卷没有创建：" + "；".join(exc.messages))
    else:
        messages.success(
            request,
            f"问卷“{survey.title}”已创建并发布。座谈时请参加人员扫描问卷二维码填写。",
        )


@staff_required
@require_POST
def event_action(request, event_id, action):
    event = access_event(request, event_id, manage=True)
    if action == "publish":
        services.publish_event(request.user, event)
        messages.success(request, "活动已发布，公众可以报名。")
    elif action in ("close", "held", "reopen"):
        status = {
            "close": Event.Status.CLOSED,
            "held": Event.Status.HELD,
            "reopen": Event.Status.OPEN,
        }[action]
        services.set_status(request.user, event, status)
        messages.success(request, f"活动状态已改为“{Event.Status(status).label}”。")
    elif action == "survey":
        _satisfaction_survey(request, event)
    elif action == "walkin":
        form = RegistrationForm(request.POST, categories=services.categories(event))
        if form.is_valid():
            d = form.cleaned_data
            try:
                r = services.register(
                    event.pk,
                    name=d["name"],
                    phone=d["phone"],
                    category=d["category"],
                    organization=d["organization"],
                    consent=d["consent"],
                    source=Registration.Source.STAFF,
                    actor=request.user,
                )
            except ValidationError as exc:
                messages.error(request, "；".join(m for v in exc.message_dict.values() for m in v))
            except services.Refused as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    f"已代为报名：{r.masked_name}，{r.get_status_display()}，票号 {r.ticket_code}。",
                )
        else:
            messages.error(
                request,
                "代报名信息不完整：" + errors_text(form),
            )
    elif action in ("approve", "reject"):
        registration_id = param.object_id(request.POST.get("registration"))
        registration = get_object_or_404(event.registrations, pk=registration_id)
        try:
            services.review(request.user, registration, approve=action == "approve")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(
                request, f"{registration.masked_name}：{registration.get_status_display()}。"
            )
    elif action == "cancel":
        registration_id = param.object_id(request.POST.get("registration"))
        registration = get_object_or_404(event.registrations, pk=registration_id)
        try:
            services.cancel(registration.ticket_code, actor=request.user)
        except services.Refused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已取消 {registration.masked_name} 的报名。")
    else:
        raise PermissionDenied("未知操作。")
    return redirect("control:event_detail", event.pk)


@staff_required
@allow_camera  # the page scans tickets with the phone's camera: Permissions-Policy camera=(self)
def event_checkin(request, event_id):
    """A phone page: find a ticket by code, name or the last four digits, and check it in."""
    event = access_event(request, event_id, manage=True)
    form = CheckinForm(request.GET or None)
    found = []
    if request.method == "POST":
        try:
            r = services.check_in(request.user, event, request.POST.get("ticket_code", ""))
        except services.Refused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"签到成功：{r.masked_name}（{r.get_category_display()}）。")
        return redirect("control:event_checkin", event.pk)
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        regs = event.registrations.filter(status=Registration.Status.CONFIRMED)
        if q.isdecimal() and len(q) == 4:
            found = list(regs.filter(phone_last4=q))
        else:
            found = list(regs.filter(Q(ticket_code=q.upper()) | Q(name__contains=q))[:20])
    return render(
        request,
        "control/events/checkin.html",
        {
            "event": event,
            "form": form,
            "found": found,
            "counters": services.counters(event),
            "now": timezone.now(),
        },
    )


@staff_required
def event_paper(request, event_id, kind):
    """签到表 (xlsx/docx) and 桌签 for those who prefer paper on the day."""
    from openday.events import documents

    event = access_event(request, event_id, manage=True)
    if kind == "banner.svg":
        from django.http import HttpResponse

        from openday.events.banner import banner_svg

        response = HttpResponse(banner_svg(event), content_type="image/svg+xml; charset=utf-8")
        response["Content-Disposition"] = "inline; filename=banner.svg"
        return response
    if kind == "signin.xlsx":
        return download(documents.signin_xlsx(event), XLSX, f"{event.title}-签到表.xlsx")
    if kind == "signin.docx":
        return download(documents.signin_docx(event), DOCX, f"{event.title}-签到表.docx")
    return download(documents.name_cards_docx(event), DOCX, f"{event.title}-桌签.docx")


@staff_required
def event_invitations(request, event_id):
    """The invitee list: import it, send personal invitations, remind, print letters."""

    from openday.campaigns.forms import UploadForm
    from openday.events import invitations

    event = access_event(request, event_id, manage=True)
    base = request.build_absolute_uri("/").rstrip("/")
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST":
        if "send" in request.POST:
            n = invitations.send(request.user, event, base)
            messages.success(request, f"已发送 {n} 份邀请。" if n else "没有未发送的邀请。")
            return redirect("control:event_invitations", event.pk)
        if "remind" in request.POST:
            n = invitations.remind(request.user, event, base)
            messages.success(
                request,
                f"已提醒 {n} 位未回复的受邀人。"
                if n
                else "没有需要提醒的人（今天已提醒过的不会重复提醒）。",
            )
            return redirect("control:event_invitations", event.pk)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            problem = upload_problem(upload)
            if problem:
                form.add_error("file", problem)
            else:
                result = invitations.import_invitees(request.user, event, upload.read())
                if result.ok:
                    messages.success(request, f"已导入 {result.created} 位受邀人。")
                    return redirect("control:event_invitations", event.pk)
    if request.GET.get("letters"):
        return download(invitations.letters_docx(event, base), DOCX, f"{event.title}-邀请函.docx")
    rows = event.invitations.all()
    counts = {
        label: rows.filter(status=value).count() for value, label in rows.model.Status.choices
    }
    return render(
        request,
        "control/events/invitations.html",
        {
            "event": event,
            "invitations": rows,
            "form": form,
            "result": result,
            "counts": counts,
        },
        status=400 if ((result and not result.ok) or form.errors) else 200,
    )


@staff_required
@require_POST
def event_checkin_json(request, event_id):
    """The check-in page's script posts here (also from its offline queue)."""
    import json

    from django.http import JsonResponse

    event = access_event(request, event_id, manage=True)
    try:
        code = json.loads(request.body or b"{}").get("ticket_code", "")
    except (ValueError, AttributeError):
        code = ""
    try:
        r = services.check_in(request.user, event, code)
    except services.Refused as exc:
        status = 404 if exc.code == "not_found" else 409
        return JsonResponse(
            {"code": exc.code, "message": exc.message, "counters": services.counters(event)},
            status=status,
        )
    return JsonResponse(
        {
            "code": "ok",
            "message": f"签到成功：{r.masked_name}（{r.get_category_display()}）。",
            "counters": services.counters(event),
        },
        status=201,
    )
