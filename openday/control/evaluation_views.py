"""Staff pages of the evaluation (绩效考核): the dashboard and ranking, the weights, one unit's
points and adjustments, awards, publishing, and the two exports.

Who may see and do what is decided in openday.evaluation.access; the rules in its services.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from openday.evaluation import exports, scoring, services
from openday.evaluation import forms as ef
from openday.evaluation import indicators as ind
from openday.evaluation.access import access_evaluation, can_manage
from openday.evaluation.models import Adjustment, Award, Scheme
from openday.ops import rollups
from openday.orgs.models import Org

from .shortcuts import DOCX, XLSX, apply_errors, download, staff_required

TABS = {"ranking": "得分排名", "month": "按月", "rollup": "下级汇总"}


def _scheme(campaign):
    return Scheme.objects.filter(campaign=campaign).first()


def _chart_data(result, months):
    return {
        "units": [u.unit.display_name for u in result.units],
        "series": [
            {
                "name": s.indicator.label,
                "data": [float(u.lines[s.code].points) for u in result.units],
            }
            for s in result.standards
            if s.weight
        ],
        "adjustments": [float(u.adjustment_total) for u in result.units],
        "scores": [float(u.score) for u in result.units],
        "months": months,
    }


@staff_required
def dashboard(request, campaign_id):
    campaign, only = access_evaluation(request, campaign_id)
    manage = can_manage(request.access, campaign)
    result = scoring.evaluate(campaign)
    has_children = only is None and campaign.children.exists()
    tab = request.GET.get("tab", "ranking")
    if tab not in TABS or (tab == "rollup" and not has_children) or only is not None:
        tab = "ranking"
    units = [u for u in result.units if only is None or u.unit.pk in only]
    context = {
        "campaign": campaign,
        "result": result,
        "units": units,
        "manage": manage,
        "restricted": only is not None,
        "tab": tab,
        "has_children": has_children,
        "tabs": {k: v for k, v in TABS.items() if k != "rollup" or has_children},
        "awards": [a for a in result.awards if only is None or a.unit_id in only],
        "summary_form": ef.SummaryForm(initial=services.report_text(campaign)),
        "unpublish_form": ef.UnpublishForm(),
        "counted": result.counted,
    }
    if only is None:
        months = scoring.by_month(campaign, result)
        context["months"] = months
        context["overall"] = exports.overall(campaign, result)
        context["chart"] = _chart_data(result, months)
        context["month_rows"] = list(
            zip(months["months"], months["events"], months["participants"], strict=True)
        )
        context["month_units"] = [
            (u["name"], list(zip(u["events"], u["participants"], strict=True)))
            for u in months["units"]
        ]
        if tab == "rollup":
            context["rollup"] = scoring.rollup(campaign)
    return render(request, "control/evaluation/dashboard.html", context)


@staff_required
def weights(request, campaign_id):
    campaign, _ = access_evaluation(request, campaign_id, manage=True)
    scheme = _scheme(campaign)
    standards = scoring.standards_of(scheme)
    form = ef.WeightsForm(request.POST or None, standards=standards)
    if request.method == "POST" and form.is_valid():
        scheme = scheme or services.scheme_for(campaign, request.user)
        try:
            services.save_weights(request.user, scheme, form.rows())
        except services.WeightsInvalid as exc:
            form.apply(exc)
        else:
            messages.success(request, "考核指标和分值已保存，得分已按新分值重新计算。")
            return redirect("control:evaluation_dashboard", campaign.pk)
    total = None
    if form.is_bound:
        total = sum(
            (services._decimal(request.POST.get(f"weight_{c}", "")) or 0) for c in ind.CODES
        )
    return render(
        request,
        "control/evaluation/weights.html",
        {
            "campaign": campaign,
            "form": form,
            "scheme": scheme,
            "total": total,
            "published": bool(scheme and scheme.published_at),
        },
        status=400 if form.errors else 200,
    )


def _unit_page(request, campaign, unit, *, adjust_form=None, revoke_forms=None, status=200):
    result = scoring.evaluate(campaign)
    score = result.unit(unit.pk)
    if score is None:
        raise PermissionDenied("该单位没有参加本年度活动的考核（没有计划安排或活动）。")
    manage = can_manage(request.access, campaign)
    scheme = result.scheme
    history = (
        list(scheme.adjustments.filter(unit=unit).select_related("created_by", "revoked_by"))
        if scheme
        else []
    )
    revoke_forms = revoke_forms or {}
    for a in history:
        a.revoke_form = revoke_forms.get(a.pk) or ef.RevokeForm(prefix=f"r{a.pk}")
        a.indicator_label = ind.BY_CODE[a.indicator].label if a.indicator else "总分"
    return render(
        request,
        "control/evaluation/unit.html",
        {
            "campaign": campaign,
            "unit": unit,
            "score": score,
            "result": result,
            "manage": manage,
            "history": history,
            "adjust_form": adjust_form or ef.AdjustmentForm(),
            "awards": [a for a in result.awards if a.unit_id == unit.pk],
        },
        status=status,
    )


def _unit_for(request, campaign_id, unit_id, *, manage=False):
    campaign, only = access_evaluation(request, campaign_id, manage=manage)
    unit = get_object_or_404(Org, pk=unit_id, parent=campaign.office)
    if only is not None and unit.pk not in only:
        raise PermissionDenied("只能查看本单位的考核结果。")
    return campaign, unit


@staff_required
def unit_detail(request, campaign_id, unit_id):
    campaign, unit = _unit_for(request, campaign_id, unit_id)
    return _unit_page(request, campaign, unit)


@staff_required
@require_POST
def adjust(request, campaign_id, unit_id):
    campaign, unit = _unit_for(request, campaign_id, unit_id, manage=True)
    form = ef.AdjustmentForm(request.POST)
    if form.is_valid():
        scheme = services.scheme_for(campaign, request.user)
        data = form.cleaned_data
        try:
            services.adjust(
                request.user,
                scheme,
                unit,
                data["points"],
                data["reason"],
                data["indicator"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "加减分已记录，得分已重新计算。")
            return redirect("control:evaluation_unit", campaign.pk, unit.pk)
    return _unit_page(request, campaign, unit, adjust_form=form, status=400)


@staff_required
@require_POST
def revoke(request, adjustment_id):
    adjustment = get_object_or_404(
        Adjustment.objects.select_related("scheme__campaign", "unit"), pk=adjustment_id
    )
    campaign, unit = _unit_for(
        request, adjustment.scheme.campaign_id, adjustment.unit_id, manage=True
    )
    form = ef.RevokeForm(request.POST, prefix=f"r{adjustment.pk}")
    if form.is_valid():
        try:
            services.revoke_adjustment(request.user, adjustment, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已撤销该加减分，得分已重新计算。")
            return redirect("control:evaluation_unit", campaign.pk, unit.pk)
    return _unit_page(request, campaign, unit, revoke_forms={adjustment.pk: form}, status=400)


def _award_choices(campaign, result):
    from openday.events.models import Event

    units = [u.unit for u in result.units]
    scope = ind.Scope(campaign, units)
    events = Event.objects.filter(scope.event_q(), status__in=ind.HELD).distinct()
    return units, events.select_related("unit").order_by("unit__path", "starts_at")


@staff_required
def awards(request, campaign_id):
    campaign, only = access_evaluation(request, campaign_id)
    if only is not None:
        raise PermissionDenied("表彰由政务公开办评定，公布后可在考核结果中查看。")
    manage = can_manage(request.access, campaign)
    result = scoring.evaluate(campaign)
    units, events = _award_choices(campaign, result)
    form = ef.AwardForm(request.POST or None, units=units, events=events)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("只有本级政务公开办管理员可以评定表彰。")
        if form.is_valid():
            data = form.cleaned_data
            event = events.filter(pk=data["event"]).first() if data["event"] else None
            unit = next((u for u in units if str(u.pk) == data["unit"]), None)
            scheme = services.scheme_for(campaign, request.user)
            try:
                services.mark_award(
                    request.user,
                    scheme,
                    data["kind"],
                    unit,
                    event,
                    data["citation"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "已标记。")
                return redirect("control:evaluation_awards", campaign.pk)
    return render(
        request,
        "control/evaluation/awards.html",
        {
            "campaign": campaign,
            "result": result,
            "form": form,
            "manage": manage,
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def award_remove(request, award_id):
    award = get_object_or_404(
        Award.objects.select_related("scheme__campaign", "unit", "event"), pk=award_id
    )
    campaign, _ = access_evaluation(request, award.scheme.campaign_id, manage=True)
    services.remove_award(request.user, award)
    messages.success(request, "已取消该表彰。")
    return redirect("control:evaluation_awards", campaign.pk)


@staff_required
@require_POST
def publish(request, campaign_id):
    campaign, _ = access_evaluation(request, campaign_id, manage=True)
    scheme = services.scheme_for(campaign, request.user)
    try:
        if request.POST.get("action") == "unpublish":
            services.unpublish(request.user, scheme, request.POST.get("reason", ""))
            messages.success(request, "已撤回考核结果，各单位暂时看不到得分。")
        else:
            services.publish_scheme(request.user, scheme)
            messages.success(request, "考核结果已公布，各单位可以查看本单位的得分和排名。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("control:evaluation_dashboard", campaign.pk)


@staff_required
@require_POST
def recount(request, campaign_id):
    """立即重新统计: count the campaign's figures now instead of waiting for the worker."""
    campaign, only = access_evaluation(request, campaign_id)
    if only is not None:
        raise PermissionDenied("考核数据由政务公开办统计。")
    if rollups.recount("evaluation", {"campaign": campaign.pk}):
        messages.success(request, "已按最新数据重新统计。")
    else:
        messages.info(request, "后台正在统计，请稍后刷新页面。")
    return redirect("control:evaluation_dashboard", campaign.pk)


@staff_required
def xlsx(request, campaign_id):
    campaign, only = access_evaluation(request, campaign_id)
    data = exports.indicators_xlsx(campaign, unit_ids=only)
    return download(data, XLSX, f"{campaign.year}年考核得分.xlsx")


@staff_required
def docx(request, campaign_id):
    campaign, only = access_evaluation(request, campaign_id)
    if only is not None:
        raise PermissionDenied("年度工作总结由政务公开办导出。")
    text = services.report_text(campaign)
    form = ef.SummaryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data
        if can_manage(request.access, campaign):  # viewers may try wording without keeping it
            services.save_report_text(request.user, campaign, text)
    data = exports.annual_summary_docx(campaign, **text)
    return download(data, DOCX, f"{campaign.year}年活动开展情况报告.docx")


urlpatterns = [
    path("campaigns/<id:campaign_id>/evaluation/", dashboard, name="evaluation_dashboard"),
    path("campaigns/<id:campaign_id>/evaluation/weights/", weights, name="evaluation_weights"),
    path("campaigns/<id:campaign_id>/evaluation/recount/", recount, name="evaluation_recount"),
    path(
        "campaigns/<id:campaign_id>/evaluation/units/<id:unit_id>/",
        unit_detail,
        name="evaluation_unit",
    ),
    path(
        "campaigns/<id:campaign_id>/evaluation/units/<id:unit_id>/adjust/",
        adjust,
        name="evaluation_adjust",
    ),
    path("evaluation/adjustments/<id:adjustment_id>/revoke/", revoke, name="evaluation_revoke"),
    path("campaigns/<id:campaign_id>/evaluation/awards/", awards, name="evaluation_awards"),
    path("evaluation/awards/<id:award_id>/remove/", award_remove, name="evaluation_award_remove"),
    path("campaigns/<id:campaign_id>/evaluation/publish/", publish, name="evaluation_publish"),
    path("campaigns/<id:campaign_id>/evaluation.xlsx", xlsx, name="evaluation_xlsx"),
    path("campaigns/<id:campaign_id>/evaluation-report.docx", docx, name="evaluation_docx"),
]
