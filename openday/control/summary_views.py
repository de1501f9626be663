"""Staff pages for event summaries (活动总结), event photos and the evidence bundles (佐证材料).

Who may do what is decided in openday.summaries.access (can_edit / can_view / can_reopen);
the rules of each move are in the app's services (services, photos, evidence, workbook).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from openday.campaigns.access import access_campaign, visible_campaigns
from openday.control.forms import errors_text
from openday.events.models import Event
from openday.lib import params as param
from openday.lib.images import image_info
from openday.orgs.models import Org
from openday.summaries import access as rules
from openday.summaries import drafting, evidence, photos, workbook
from openday.summaries import services as summaries
from openday.summaries.forms import PhotoForm, ReopenForm, SummaryForm
from openday.summaries.models import EventPhoto, EventSummary

from .shortcuts import DOCX, XLSX, apply_errors, download, staff_required

PAGE_SIZE = 30
ZIP = "application/zip"
NO_CAMPAIGN = "none"
SUMMARY_STATES = [("submitted", "已报送"), ("draft", "草稿"), ("missing", "未填写")]
EVIDENCE_STATES = [("complete", "材料齐全"), ("incomplete", "材料不全")]
NOT_VIEWER = "您无权查看该活动的总结和佐证材料。"
NOT_EDITOR = "只有活动所属单位的管理员和工作人员可以修改总结和照片。"
# The action of the buttons that write a section again from the data ("redraft:experiences",
# or "redraft" alone for every empty section).
REDRAFT = "redraft"


# --- Access -------------------------------------------------------------------------------------


def _event(request, event_id, *, edit=False):
    event = get_object_or_404(Event.objects.select_related("unit", "campaign"), pk=event_id)
    allowed = (rules.can_edit if edit else rules.can_view)(request.access, event)
    if not allowed:
        raise PermissionDenied(NOT_EDITOR if edit else NOT_VIEWER)
    return event


def _photo(request, photo_id, *, edit=False):
    photo = get_object_or_404(EventPhoto.objects.select_related("event__unit"), pk=photo_id)
    _event(request, photo.event_id, edit=edit)
    return photo


def _require_user(request):
    if not rules.may_use_summaries(request.access):
        raise PermissionDenied("只有政务公开办和活动单位的人员可以查看活动总结。")


# --- The summary --------------------------------------------------------------------------------


def _summary_page(request, event, *, form=None, reopen_form=None, status=200, drafted=()):
    summary = EventSummary.objects.filter(event=event).first()
    can_edit = rules.can_edit(request.access, event)
    submitted = summary is not None and summary.status == EventSummary.Status.SUBMITTED
    if form is None and can_edit and not submitted:
        initial = {f: getattr(summary, f) if summary else "" for f in summaries.TEXT_FIELDS}
        # Sections the unit has not written open with the draft from the data; what the unit
        # saved is never replaced (the draft is kept only when the unit saves it).
        drafted = [f for f in summaries.TEXT_FIELDS if not initial[f].strip()]
        if drafted:
            draft = drafting.draft_summary(event)
            initial.update({f: draft[f] for f in drafted})
        form = SummaryForm(initial=initial)
    f = summaries.shown_figures(event, summary)
    return render(
        request,
        "control/summary/edit.html",
        {
            "event": event,
            "summary": summary,
            "submitted": submitted,
            "form": form,
            "can_edit": can_edit and not submitted,
            "can_reopen": submitted and rules.can_reopen(request.access, event),
            "reopen_form": reopen_form or ReopenForm(),
            "f": f,
            "opinion_text": summaries.opinion_lines(f),
            "survey_text": summaries.survey_line(f),
            "checklist": evidence.checklist(event),
            "ended": event.ends_at <= timezone.now(),
            "drafted": [summaries.FIELD_NAMES[f] for f in drafted],
            "drafted_fields": list(drafted),
            "texts": [
                (summaries.FIELD_NAMES[k], getattr(summary, k) if summary else "")
                for k in summaries.TEXT_FIELDS
            ],
        },
        status=status,
    )


@staff_required
def summary_edit(request, event_id):
    """The summary of one event: figures beside the text; save a draft or submit."""
    event = _event(request, event_id, edit=request.method == "POST")
    if request.method != "POST":
        return _summary_page(request, event)
    action = request.POST.get("action", "save")
    if action.startswith(REDRAFT):
        return _redraft(request, event, action.removeprefix(REDRAFT).lstrip(":"))
    form = SummaryForm(request.POST)
    if not form.is_valid():
        return _summary_page(request, event, form=form, status=400)
    try:
        if action == "submit":
            summaries.submit_summary(request.user, event, form.cleaned_data)
            messages.success(
                request, "活动总结已报送。如需修改，请联系单位管理员或政务公开办退回。"
            )
        else:
            summaries.save_summary(request.user, event, form.cleaned_data)
            messages.success(request, "已保存草稿。")
    except ValidationError as exc:
        apply_errors(form, exc)
        if action == "submit":
            messages.error(request, "草稿已保存，但还不能报送，请按提示补充后再报送。")
        return _summary_page(request, event, form=form, status=400)
    except summaries.Refused as exc:
        messages.error(request, exc.message)
        return _summary_page(request, event, form=form, status=400)
    return redirect("control:summary_edit", event.pk)


def _redraft(request, event, field):
    """Write one section (or every empty one) again from the data now, keeping what was typed in
    the others; nothing is saved until the unit saves."""
    data = {f: request.POST.get(f, "") for f in summaries.TEXT_FIELDS}
    if field in summaries.TEXT_FIELDS:
        targets = [field]
    else:
        targets = [f for f in summaries.TEXT_FIELDS if not data[f].strip()]
    if targets:
        draft = drafting.draft_summary(event)
        data.update({f: draft[f] for f in targets})
        names = "、".join(f"“{summaries.FIELD_NAMES[f]}”" for f in targets)
        messages.info(request, f"已按最新数据重新生成{names}，请核对后保存草稿（尚未保存）。")
    else:
        messages.info(request, "没有空白的部分。需要重新生成某一部分时，请点该部分下面的按钮。")
    form = SummaryForm(data)
    form.is_valid()
    return _summary_page(request, event, form=form, drafted=targets)


@staff_required
@require_POST
def summary_reopen(request, event_id):
    event = _event(request, event_id)
    if not rules.can_reopen(request.access, event):
        raise PermissionDenied("只有单位管理员或政务公开办管理员可以退回已报送的总结。")
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            summaries.reopen_summary(request.user, event, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        except summaries.Refused as exc:
            messages.error(request, exc.message)
            return redirect("control:summary_edit", event.pk)
        else:
            messages.success(request, "总结已退回为草稿，单位可以修改后重新报送。")
            return redirect("control:summary_edit", event.pk)
    return _summary_page(request, event, reopen_form=form, status=400)


@staff_required
def summary_docx(request, event_id):
    event = _event(request, event_id)
    if not EventSummary.objects.filter(event=event).exists():
        raise Http404("该活动还没有总结。")
    return download(summaries.summary_docx(event), DOCX, f"{event.title}-活动总结.docx")


# --- Photos -------------------------------------------------------------------------------------


def _upload(request, event):
    """Check every file first: a batch with a bad file keeps nothing and says which and why."""
    files = request.FILES.getlist("images")
    form = PhotoForm(request.POST)
    errors = []
    if not files:
        errors.append("请选择要上传的照片。")
    if not form.is_valid():
        errors += [e for errs in form.errors.values() for e in errs]
    for upload in files:
        try:
            photos.check_upload(upload)
        except ValidationError as exc:
            errors += exc.messages
    room = photos.MAX_PER_EVENT - EventPhoto.objects.filter(event=event).count()
    if len(files) > room:
        errors.append(
            f"每个活动最多保存 {photos.MAX_PER_EVENT} 张照片，还能上传 {max(room, 0)} 张。"
        )
    if errors:
        return errors
    d = form.cleaned_data
    with transaction.atomic():
        for upload in files:
            photos.add_photo(
                request.user,
                event,
                upload,
                d["caption"],
                d["shows_logo"],
                d["public"],
            )
    messages.success(request, f"已上传 {len(files)} 张照片。")
    return []


@staff_required
def photo_manage(request, event_id):
    """Upload several photos at once; caption, 可见LOGO and public flags per photo; delete."""
    event = _event(request, event_id, edit=request.method == "POST")
    errors = []
    if request.method == "POST":
        try:
            errors = _upload(request, event)
        except ValidationError as exc:
            errors = exc.messages
        if not errors:
            return redirect("control:photo_manage", event.pk)
    items = list(EventPhoto.objects.filter(event=event).select_related("uploaded_by"))
    return render(
        request,
        "control/summary/photos.html",
        {
            "event": event,
            "photos": items,
            "errors": errors,
            "can_edit": rules.can_edit(request.access, event),
            "with_logo": sum(1 for p in items if p.shows_logo),
            "limit_mb": photos.MAX_MB,
            "posted": request.POST if errors else None,
        },
        status=400 if errors else 200,
    )


@staff_required
def photo_file(request, photo_id):
    photo = _photo(request, photo_id)
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise Http404("照片文件不存在。") from exc
    info = image_info(handle)
    content_type = "image/png" if info and info[0] == "png" else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@staff_required
@require_POST
def photo_update(request, photo_id):
    photo = _photo(request, photo_id, edit=True)
    form = PhotoForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            photos.update_photo(
                request.user,
                photo,
                caption=d["caption"],
                shows_logo=d["shows_logo"],
                public=d["public"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "照片信息已保存。")
    else:
        messages.error(request, errors_text(form))
    return redirect("control:photo_manage", photo.event_id)


@staff_required
@require_POST
def photo_delete(request, photo_id):
    photo = _photo(request, photo_id, edit=True)
    event_id = photo.event_id
    photos.delete_photo(request.user, photo)
    messages.success(request, "照片已删除。")
    return redirect("control:photo_manage", event_id)


# --- Evidence bundles ---------------------------------------------------------------------------


def _zip_response(tmp, filename):
    return FileResponse(tmp, as_attachment=True, filename=filename, content_type=ZIP)


@staff_required
def evidence_event(request, event_id):
    event = _event(request, event_id)
    tmp = evidence.event_zip(event)
    evidence.record_download(request.user, event=event)
    return _zip_response(tmp, f"{evidence.safe_name(event.title, 80)}-佐证材料.zip")


def _campaign_param(request):
    """The campaign of ?campaign= (None for standalone events); 404 for a bad value."""
    value = request.GET.get("campaign", "")
    if value == NO_CAMPAIGN:
        return None
    if not value:
        raise Http404("请指定年度活动。")
    return access_campaign(request, param.object_id(value))


@staff_required
def evidence_unit(request, unit_id):
    """One zip with a folder per event of the unit in the campaign (?campaign=, or none)."""
    unit = get_object_or_404(Org, pk=unit_id)
    if not rules.can_view_unit(request.access, unit):
        raise PermissionDenied("您无权下载该单位的佐证材料。")
    campaign = _campaign_param(request)
    tmp = evidence.unit_zip(unit, campaign)
    evidence.record_download(request.user, unit=unit, campaign=campaign)
    label = campaign.title if campaign else "未关联年度活动"
    return _zip_response(
        tmp, f"{evidence.safe_name(unit.name)}-{evidence.safe_name(label)}-佐证材料.zip"
    )


# --- The office's overview ----------------------------------------------------------------------


def _scoped_events(access, campaign):
    events = Event.objects.filter(rules.viewable_q(access)).exclude(status=Event.Status.DRAFT)
    return (
        events.filter(campaign=campaign) if campaign is not None else events.filter(campaign=None)
    )


@staff_required
def summary_index(request):
    """A campaign's events with their summary state and evidence completeness."""
    _require_user(request)
    campaigns = list(visible_campaigns(request.access).order_by("-year", "-id")[:50])
    wanted = request.GET.get("campaign", "")
    if wanted == NO_CAMPAIGN:
        campaign = None
    elif wanted:
        campaign = access_campaign(request, param.object_id(wanted))
    else:
        campaign = campaigns[0] if campaigns else None
    events = _scoped_events(request.access, campaign).select_related("unit", "report")
    units = list(
        Org.objects.filter(pk__in=events.values("unit_id")).order_by("path").only("name", "path")
    )
    f = {k: request.GET.get(k, "") for k in ("unit", "summary", "evidence")}
    if unit_id := param.id_or_none(f["unit"]):
        events = events.filter(unit_id=unit_id)
    if f["summary"] == "submitted":
        events = events.filter(report__status=EventSummary.Status.SUBMITTED)
    elif f["summary"] == "draft":
        events = events.filter(report__status=EventSummary.Status.DRAFT)
    elif f["summary"] == "missing":
        events = events.filter(report=None)
    events = events.order_by("unit__path", "starts_at", "id")
    if f["evidence"] in ("complete", "incomplete"):
        states = evidence.checklists(list(events.values_list("pk", flat=True)))
        want = f["evidence"] == "complete"
        ids = [pk for pk, items in states.items() if all(i["ok"] for i in items) is want]
        events = events.filter(pk__in=ids)
    page = Paginator(events, PAGE_SIZE).get_page(param.page(request.GET.get("page")))
    states = evidence.checklists(page.object_list)
    for event in page.object_list:
        event.checklist = states.get(event.pk, [])
        event.missing = [i["label"] for i in event.checklist if not i["ok"]]
        event.summary_row = getattr(event, "report", None)
    params = {k: v for k, v in f.items() if v}
    params["campaign"] = NO_CAMPAIGN if campaign is None else campaign.pk
    return render(
        request,
        "control/summary/index.html",
        {
            "campaigns": campaigns,
            "campaign": campaign,
            "no_campaign": NO_CAMPAIGN,
            "campaign_param": params["campaign"],
            "units": units,
            "f": f,
            "page": page,
            "query": urlencode(params) + "&",
            "summary_states": SUMMARY_STATES,
            "evidence_states": EVIDENCE_STATES,
            "filtered": any(f.values()),
        },
    )


@staff_required
def summary_campaign_xlsx(request, campaign_id):
    """Every visible event's summary figures in the campaign, one row each."""
    _require_user(request)
    campaign = access_campaign(request, campaign_id)
    data = workbook.campaign_xlsx_bytes(_scoped_events(request.access, campaign))
    return download(data, XLSX, f"{campaign.title}-活动总结数据.xlsx")


urlpatterns = [
    path("summaries/", summary_index, name="summary_index"),
    path(
        "summaries/campaigns/<id:campaign_id>/figures.xlsx",
        summary_campaign_xlsx,
        name="summary_campaign_xlsx",
    ),
    path("summaries/events/<id:event_id>/", summary_edit, name="summary_edit"),
    path("summaries/events/<id:event_id>/summary.docx", summary_docx, name="summary_docx"),
    path("summaries/events/<id:event_id>/reopen/", summary_reopen, name="summary_reopen"),
    path("summaries/events/<id:event_id>/photos/", photo_manage, name="photo_manage"),
    path("summaries/events/<id:event_id>/evidence.zip", evidence_event, name="evidence_event"),
    path("summaries/units/<id:unit_id>/evidence.zip", evidence_unit, name="evidence_unit"),
    path("summaries/photos/<id:photo_id>/", photo_file, name="photo_file"),
    path("summaries/photos/<id:photo_id>/edit/", photo_update, name="photo_update"),
    path("summaries/photos/<id:photo_id>/delete/", photo_delete, name="photo_delete"),
]
