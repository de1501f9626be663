"""Staff pages: an office's opinion triage — its own category list, the models trained on what
its staff decided (both scores of every retrain), a retrain on request, and the labels.

Office admins change the list and start a retrain; office viewers read. Units, handlers and
other offices are refused. The rules live in openday.opinions.triage.
"""

import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from openday.lib import params as param
from openday.lib.export_text import append_row
from openday.lib.spreadsheet import append_header
from openday.opinions import triage
from openday.opinions.forms import CategoriesForm
from openday.opinions.models import TriageLabel, TriageModel, TriageSettings
from openday.orgs.models import Org

from .shortcuts import XLSX, apply_errors, download, staff_required

PAGE_SIZE = 30
HISTORY = 20
NOT_VIEWER = "只有政务公开办的管理员和查看人员可以查看本办的意见分拣模型。"
NOT_OFFICE = "您无权查看该政务公开办的意见分拣模型。"
NOT_ADMIN = "只有政务公开办管理员可以修改意见分类和重新训练模型。"
T = TriageModel.Target


# --- Which office ---------------------------------------------------------------------------------


def _office(request, wanted):
    """The office asked for (?office= or the form's office), or the user's first one."""
    offices = triage.offices_for(request.access)
    if not offices:
        raise PermissionDenied(NOT_VIEWER)
    if not wanted:
        return offices[0], offices
    wanted = param.id_or_none(wanted)
    if wanted is None:
        raise Http404("没有这个政务公开办。")
    office = next((o for o in offices if o.pk == wanted), None)
    if office is None:
        if Org.objects.filter(pk=wanted, kind=Org.Kind.OFFICE).exists():
            raise PermissionDenied(NOT_OFFICE)
        raise Http404("没有这个政务公开办。")
    return office, offices


def _admin_office(request):
    office, _offices = _office(request, request.POST.get("office"))
    if not triage.can_manage(request.access, office):
        raise PermissionDenied(NOT_ADMIN)
    return office


def _index_url(office, anchor=""):
    return f"{reverse('control:triage_index')}?office={office.pk}" + (
        f"#{anchor}" if anchor else ""
    )


# --- The page -------------------------------------------------------------------------------------


def _presets(office):
    campaign = triage.latest_campaign(office)
    if campaign is not None and campaign.topic_areas:
        areas = f"{triage.PRESETS['campaign']}（{campaign.year}年）：" + "、".join(
            campaign.topic_areas
        )
    else:
        areas = f"{triage.PRESETS['campaign']}（本办还没有年度活动，不可用）"
    return [
        ("custom", "按下面填写的分类"),
        ("default", f"{triage.PRESETS['default']}：" + "、".join(triage.default_categories())),
        ("campaign", areas),
    ]


def _categories_form(office, categories, data=None):
    limits = (triage.MIN_CATEGORIES, triage.MAX_CATEGORIES, triage.CATEGORY_LENGTH)
    initial = {"preset": "custom", "categories": "\n".join(categories)}
    return CategoriesForm(data, presets=_presets(office), limits=limits, initial=initial)


def _value_names(office, rows):
    """Unit labels hold a unit's id: the names to show instead."""
    ids = {
        param.id_or_none(v)
        for r in rows
        if r.target == T.UNIT
        for v in (r.value, r.suggested)
        if param.id_or_none(v)
    }
    return {str(pk): name for pk, name in Org.objects.filter(pk__in=ids).values_list("pk", "name")}


def _labels(office, target):
    rows = TriageLabel.objects.filter(office=office).select_related("opinion", "by")
    if target in T.values:
        rows = rows.filter(target=target)
    return rows.order_by("-created_at", "-id")


def _describe(rows, office, categories):
    names = _value_names(office, rows)
    listed = set(categories)
    for r in rows:
        r.value_name = names.get(r.value, r.value) if r.target == T.UNIT else r.value
        r.suggested_name = (
            names.get(r.suggested, r.suggested) if r.target == T.UNIT else r.suggested
        )
        r.outside = r.target == T.CATEGORY and r.value not in listed


def _page(request, office, offices, form=None, status=200):
    access = request.access
    categories = triage.categories_of(office)
    saved = TriageSettings.objects.filter(office=office).select_related("updated_by").first()
    clf, active_row = triage.model_for(office, T.CATEGORY)
    known = [c for c in categories if c in set(clf.labels)]
    states = []
    for target in (T.CATEGORY, T.UNIT):
        state = triage.retrain_state(office, target)
        state["history"] = list(
            TriageModel.objects.filter(office=office, target=target)
            .defer("data")
            .order_by("-created_at", "-id")[:HISTORY]
        )
        state["queued"] = triage.retrain_queued(office.pk, target.value)
        states.append(state)
    target = request.GET.get("target", "")
    page = Paginator(_labels(office, target), PAGE_SIZE).get_page(
        param.page(request.GET.get("page"))
    )
    _describe(page.object_list, office, categories)
    can_manage = triage.can_manage(access, office)
    return render(
        request,
        "control/triage/index.html",
        {
            "office": office,
            "offices": offices,
            "can_manage": can_manage,
            "categories": categories,
            "saved": saved,
            "known": known,
            "knows_none": triage.STARTER_KNOWS_NONE
            if active_row is None
            else triage.MODEL_KNOWS_NONE,
            "active_category": active_row,
            "form": (form or _categories_form(office, categories)) if can_manage else None,
            "states": states,
            "page": page,
            "target": target,
            "targets": T.choices,
            "query": urlencode({"office": office.pk, "target": target}) + "&",
            "retrain_every": triage.RETRAIN_EVERY,
            "min_examples": triage.MIN_EXAMPLES,
            "db_tasks": _db_tasks(),
        },
        status=status,
    )


def _db_tasks():
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return backend.endswith("DatabaseBackend")


@staff_required
def triage_index(request):
    office, offices = _office(request, request.GET.get("office"))
    return _page(request, office, offices)


@staff_required
@require_POST
def triage_categories(request):
    office = _admin_office(request)
    offices = triage.offices_for(request.access)
    form = _categories_form(office, triage.categories_of(office), request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            values = triage.categories_from(office, d["preset"], d["categories"])
            before = triage.categories_of(office)
            triage.set_categories(request.user, office, values)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if values == before:
                messages.info(request, "分类没有变化。")
            else:
                messages.success(request, f"本办的意见分类已保存，共 {len(values)} 类。")
            return redirect(_index_url(office, "categories"))
    messages.error(request, "未能保存分类，请按提示修改。")
    return _page(request, office, offices, form=form, status=400)


@staff_required
@require_POST
def triage_retrain(request):
    office = _admin_office(request)
    target = request.POST.get("target", "")
    if target not in T.values:
        messages.error(request, "请选择要重新训练的模型（分类或责任单位）。")
        return redirect(_index_url(office, "models"))
    try:
        queued = triage.request_retrain(request.user, office, target)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(_index_url(office, f"model-{target}"))
    label = T(target).label
    if not queued:
        messages.info(request, f"{label}模型的重新训练已在排队，无需重复提交。")
    elif _db_tasks():
        messages.success(
            request,
            f"已提交{label}模型的重新训练。训练在后台任务进程中进行"
            "（单机部署请确认已运行 openday worker），"
            "完成后刷新本页即可看到新旧模型的成绩。",
        )
    else:
        messages.success(request, f"已提交{label}模型的重新训练，结果见下方模型记录。")
    return redirect(_index_url(office, f"model-{target}"))


LABEL_HEADERS = [
    "查询码",
    "对象",
    "确定的值",
    "系统建议",
    "建议把握",
    "采用建议",
    "用于训练",
    "标注人",
    "标注时间",
    "意见内容",
]


@staff_required
def triage_labels_xlsx(request):
    """The office's labels (what its staff decided) for its own records."""
    office, _offices = _office(request, request.GET.get("office"))
    categories = triage.categories_of(office)
    rows = list(_labels(office, request.GET.get("target", "")))
    _describe(rows, office, categories)
    wb = Workbook()
    ws = wb.active
    ws.title = "分拣样本"
    append_header(ws, LABEL_HEADERS)
    for r in rows:
        append_row(
            ws,
            [
                r.opinion.tracking_code,
                r.get_target_display(),
                r.value_name,
                r.suggested_name,
                round(r.confidence, 3) if r.confidence is not None else None,
                ("是" if r.accepted else "否") if r.suggested else "",
                "否（不在本办分类中）" if r.outside else "是",
                r.by.get_full_name() if r.by else "",
                timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                r.opinion.content,
            ],
        )
    for letter, width in zip("ABCDEFGHIJ", (12, 10, 24, 24, 10, 10, 20, 14, 18, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    stamp = timezone.localtime().strftime("%Y%m%d")
    name = office.short_name or office.name
    return download(out.getvalue(), XLSX, f"意见分拣样本-{name}-{stamp}.xlsx")


urlpatterns = [
    path("triage/", triage_index, name="triage_index"),
    path("triage/categories/", triage_categories, name="triage_categories"),
    path("triage/retrain/", triage_retrain, name="triage_retrain"),
    path("triage/labels.xlsx", triage_labels_xlsx, name="triage_labels_xlsx"),
]
