"""Staff pages for annual campaigns: settings, the notice, declarations, review and the plan."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openday.campaigns import documents, scheduler, services, workbooks
from openday.campaigns.access import (
    access_campaign,
    access_declaration,
    can_declare,
    runs_campaign,
    visible_campaigns,
)
from openday.campaigns.forms import (
    CampaignForm,
    DeclarationForm,
    DeclarationRowForm,
    NewCampaignForm,
    PlanForm,
    ReviewForm,
    UploadForm,
)
from openday.campaigns.models import Campaign, Declaration, PlanEntry
from openday.lib import params as param
from openday.lib.imports import ImportResult
from openday.lib.spreadsheet import upload_problem
from openday.orgs.models import Org, Role

from .shortcuts import DOCX, XLSX, apply_errors, download, staff_required


def _run_offices(access):
    if access.is_operator:
        return Org.objects.filter(kind=Org.Kind.OFFICE)
    ids = [m.org_id for m in access.memberships if m.role == Role.OFFICE_ADMIN]
    return Org.objects.filter(pk__in=ids)


@staff_required
def campaign_list(request):
    access = request.access
    campaigns = (
        visible_campaigns(access)
        .select_related("office")
        .annotate(
            submitted=Count("declarations", filter=~Q(declarations__status="draft")),
            approved=Count("declarations", filter=Q(declarations__status="approved")),
        )
        .order_by("-year", "office__path")
    )
    return render(
        request,
        "control/campaigns/list.html",
        {
            "campaigns": campaigns,
            "can_create": _run_offices(access).exists(),
        },
    )


@staff_required
def campaign_create(request):
    access = request.access
    offices = _run_offices(access)
    if not offices.exists():
        raise PermissionDenied("只有政务公开办管理员可以新建年度活动。")
    office = offices.first()
    if request.GET.get("office"):
        office = get_object_or_404(offices, pk=param.object_id(request.GET["office"]))
    preset_form = NewCampaignForm(
        request.GET or None, initial={"year": timezone.localdate().year, "preset": "theme_day"}
    )
    if not (request.GET.get("preset") and preset_form.is_valid()):
        return render(
            request,
            "control/campaigns/new.html",
            {"form": preset_form, "offices": offices, "office": office},
        )
    fields = services.preset_fields(
        preset_form.cleaned_data["preset"], office, preset_form.cleaned_data["year"]
    )
    parents = Campaign.objects.filter(office__pk=office.parent_id)  # the upper office's, if any
    form = CampaignForm(request.POST or None, initial=fields, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(request.user, office, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "年度活动已创建（草稿）。检查无误后可印发通知。")
            return redirect("control:campaign_detail", campaign.pk)
    return render(
        request, "control/campaigns/form.html", {"form": form, "campaign": None, "office": office}
    )


@staff_required
def campaign_detail(request, campaign_id):
    campaign = access_campaign(request, campaign_id)
    access = request.access
    runs = runs_campaign(access, campaign)
    my_units = [
        u for u in services.units_of(campaign) if can_declare(access, campaign, u) and not runs
    ]
    mine = {d.unit_id: d for d in campaign.declarations.filter(unit__in=my_units)}
    children = []
    for child in campaign.children.select_related("office"):
        rows = services.board(child)
        children.append(
            {
                "campaign": child,
                "units": len(rows),
                "submitted": sum(r["state"] in ("submitted", "approved") for r in rows),
                "approved": sum(r["state"] == "approved" for r in rows),
                "planned": child.plan_entries.count(),
            }
        )
    counts = None
    if runs or access.can_see_org(campaign.office):
        rows = services.board(campaign)
        counts = {
            label: sum(r["state"] == key for r in rows)
            for key, label in services.BOARD_STATES.items()
        }
        counts["逾期"] = sum(r["late"] for r in rows)
    return render(
        request,
        "control/campaigns/detail.html",
        {
            "campaign": campaign,
            "runs": runs,
            "my_units": [(u, mine.get(u.pk)) for u in my_units],
            "children": children,
            "counts": counts,
            "body": documents.filled_body(campaign),
        },
    )


@staff_required
def campaign_edit(request, campaign_id):
    campaign = access_campaign(request, campaign_id, run=True)
    initial = {f: getattr(campaign, f) for f in services.CAMPAIGN_FIELDS}
    office = campaign.office
    parents = Campaign.objects.filter(office__pk=office.parent_id)  # the upper office's, if any
    form = CampaignForm(request.POST or None, initial=initial, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_campaign(request.user, campaign, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("control:campaign_detail", campaign.pk)
    return render(
        request,
        "control/campaigns/form.html",
        {"form": form, "campaign": campaign, "office": office},
    )


@staff_required
@require_POST
def campaign_issue(request, campaign_id):
    campaign = access_campaign(request, campaign_id, run=True)
    try:
        campaign = services.issue_notice(request.user, campaign)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"通知已印发（{campaign.doc_number}），各单位已收到申报提醒。")
    return redirect("control:campaign_detail", campaign.pk)


@staff_required
def campaign_notice_docx(request, campaign_id):
    campaign = access_campaign(request, campaign_id)
    data = documents.notice_docx(campaign)
    return download(data, DOCX, f"{campaign.title}-通知.docx")


# --- Declarations ------------------------------------------------------------------------


def _row_forms(campaign, data=None, initial_rows=()):
    forms = []
    for index in range(campaign.themes_per_unit):
        initial = initial_rows[index] if index < len(initial_rows) else {}
        forms.append(
            DeclarationRowForm(data, prefix=f"row{index}", campaign=campaign, initial=initial)
        )
    return forms


def _rows_from(row_forms):
    rows = []
    for f in row_forms:
        f.is_valid()
        data = getattr(f, "cleaned_data", {}) or {}
        rows.append(
            {
                "theme": data.get("theme", ""),
                "month": data.get("month"),
                "forms": data.get("activity_forms", []),
                "topic_area": data.get("topic_area", ""),
                "intro": data.get("intro", ""),
            }
        )
    return rows


def _initial_rows(declaration):
    if declaration.pk is None:
        return []
    return [
        {
            "theme": r.theme,
            "month": r.month or None,
            "activity_forms": r.forms,
            "topic_area": r.topic_area,
            "intro": r.intro,
        }
        for r in declaration.rows.all()
    ]


def _attach_errors(form, row_forms, errors):
    for key, message in errors.items():
        if key == "row_errors":
            for index, problems in message.items():
                for p in problems:
                    row_forms[index].add_error(None, p)
        elif key == "rows":
            form.add_error(None, message)
        else:
            form.add_error(key if key in form.fields else None, message)


@staff_required
def declaration_edit(request, campaign_id, unit_id):
    campaign = access_campaign(request, campaign_id)
    unit = get_object_or_404(Org, pk=unit_id)
    if not can_declare(request.access, campaign, unit):
        raise PermissionDenied("您无权为该单位填报申报表。")
    declaration = campaign.declarations.filter(unit=unit).first()
    if request.method == "POST" and declaration is None:
        declaration = services.declaration_for(campaign, unit)
    declaration = declaration or Declaration(campaign=campaign, unit=unit)
    editable = campaign.status != Campaign.Status.DRAFT and declaration.status in (
        Declaration.Status.DRAFT,
        Declaration.Status.RETURNED,
    )
    from openday.campaigns.forms import declaration_initial

    initial = declaration_initial(declaration)
    form = DeclarationForm(request.POST or None, initial=initial)
    row_forms = _row_forms(campaign, request.POST or None, _initial_rows(declaration))
    upload_result = None
    if request.method == "POST" and editable:
        if "upload" in request.POST:
            upload = UploadForm(request.POST, request.FILES)
            problem = upload_problem(request.FILES["file"]) if upload.is_valid() else None
            if not upload.is_valid():
                upload_result = ImportResult()
                upload_result.add_error(0, "请上传由申报表模板填写的 .xlsx 文件。")
            elif problem:
                upload_result = ImportResult()
                upload_result.add_error(0, problem)
            else:
                parsed = workbooks.parse_declaration(campaign, request.FILES["file"].read())
                fields, rows = parsed.details["fields"], parsed.details["rows"]
                # Show what the file says, whether it is right or wrong, so nothing is lost.
                form = DeclarationForm(initial=fields or initial)
                row_forms = _row_forms(
                    campaign,
                    None,
                    [
                        {
                            "theme": r["theme"],
                            "month": r["month"],
                            "activity_forms": r["forms"],
                            "topic_area": r["topic_area"],
                            "intro": r["intro"],
                        }
                        for r in rows
                    ],
                )
                if not parsed.ok:
                    upload_result = parsed
                else:
                    services.save_declaration(request.user, declaration, fields, rows)
                    messages.success(request, "已从文件读入申报表并保存为草稿，请核对后点“提交”。")
                    return redirect("control:declaration_edit", campaign.pk, unit.pk)
        elif form.is_valid():
            rows = _rows_from(row_forms)
            submit = "submit" in request.POST
            try:
                services.save_declaration(
                    request.user,
                    declaration,
                    form.cleaned_data,
                    rows,
                    submit=submit,
                )
            except services.DeclarationInvalid as exc:
                _attach_errors(form, row_forms, exc.errors)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                declaration.refresh_from_db()
                if submit:
                    late = "（已过截止日期，标记为逾期提交）" if declaration.is_late else ""
                    messages.success(request, f"申报表已提交，等待政务公开办审核{late}。")
                else:
                    messages.success(request, "草稿已保存。")
                return redirect("control:declaration_edit", campaign.pk, unit.pk)
    elif request.method == "POST":
        form.add_error(None, "申报表当前不能修改。")
    upload_failed = upload_result is not None and not upload_result.ok
    has_errors = bool(form.errors or any(f.errors for f in row_forms) or upload_failed)
    return render(
        request,
        "control/campaigns/declaration.html",
        {
            "campaign": campaign,
            "unit": unit,
            "declaration": declaration,
            "form": form,
            "row_forms": row_forms,
            "editable": editable,
            "result": upload_result,
            "events": declaration.events.select_related("actor") if declaration.pk else [],
            "past_deadline": timezone.localdate() > campaign.declaration_deadline,
        },
        status=400 if has_errors else 200,
    )


@staff_required
def declaration_template(request, campaign_id, unit_id):
    campaign = access_campaign(request, campaign_id)
    unit = get_object_or_404(Org, pk=unit_id)
    if not can_declare(request.access, campaign, unit):
        raise PermissionDenied("您无权为该单位填报申报表。")
    declaration = campaign.declarations.filter(unit=unit).first()
    data = workbooks.declaration_template(campaign, unit, declaration)
    return download(data, XLSX, f"{unit.name}-申报表.xlsx")


@staff_required
def campaign_board(request, campaign_id):
    campaign = access_campaign(request, campaign_id)
    if not (runs_campaign(request.access, campaign) or request.access.can_see_org(campaign.office)):
        raise PermissionDenied("只有政务公开办可以查看申报情况。")
    rows = services.board(campaign)
    state = request.GET.get("state", "")
    if state == "late":
        rows = [r for r in rows if r["late"]]
    elif state in services.BOARD_STATES:
        rows = [r for r in rows if r["state"] == state]
    return render(
        request,
        "control/campaigns/board.html",
        {
            "campaign": campaign,
            "rows": rows,
            "runs": runs_campaign(request.access, campaign),
            "states": services.BOARD_STATES,
            "state": state,
        },
    )


@staff_required
@require_POST
def campaign_remind(request, campaign_id):
    campaign = access_campaign(request, campaign_id, run=True)
    units = None
    if request.POST.get("unit"):
        unit_id = param.object_id(request.POST["unit"])
        units = list(Org.objects.filter(pk=unit_id, parent=campaign.office))
    sent = services.remind_units(request.user, campaign, units)
    if sent:
        messages.success(
            request, f"已提醒 {len(sent)} 个单位：{'、'.join(u.display_name for u in sent)}。"
        )
    else:
        messages.info(request, "没有需要提醒的单位（今天已提醒过的单位不会重复提醒）。")
    return redirect("control:campaign_board", campaign.pk)


@staff_required
def declaration_review(request, declaration_id):
    declaration = access_declaration(request, declaration_id)
    runs = runs_campaign(request.access, declaration.campaign)
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not runs:
            raise PermissionDenied("只有本级政务公开办管理员可以审核。")
        if form.is_valid():
            try:
                services.review_declaration(
                    request.user,
                    declaration,
                    approve="approve" in request.POST,
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    "已通过。" if "approve" in request.POST else "已退回，单位会收到退回意见。",
                )
                return redirect("control:campaign_board", declaration.campaign_id)
    return render(
        request,
        "control/campaigns/review.html",
        {
            "declaration": declaration,
            "campaign": declaration.campaign,
            "form": form,
            "runs": runs,
            "rows": declaration.rows.all(),
            "events": declaration.events.select_related("actor"),
            "show_phone": runs,
        },
        status=400 if form.errors else 200,
    )


@staff_required
def campaign_import(request, campaign_id):
    campaign = access_campaign(request, campaign_id, run=True)
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        problem = upload_problem(upload)
        if problem:
            form.add_error("file", problem)
        elif campaign.status == Campaign.Status.DRAFT:
            form.add_error(None, "请先印发通知，再导入申报。")
        else:
            result = workbooks.import_sheet(request.user, campaign, upload.read())
            if result.ok:
                count = result.created + result.updated
                messages.success(
                    request, f"已导入 {count} 个单位的申报，状态为“已提交”，请在申报情况中审核。"
                )
                return redirect("control:campaign_board", campaign.pk)
    return render(
        request,
        "control/campaigns/import.html",
        {
            "campaign": campaign,
            "form": form,
            "result": result,
        },
        status=400 if (result and not result.ok) or form.errors else 200,
    )


# --- The plan ----------------------------------------------------------------------------


def _calendar(campaign, entries):
    months = []
    for m in campaign.months:
        weeks = []
        for monday in scheduler.weeks_of_month(campaign.year, m):
            weeks.append({"monday": monday, "entries": [e for e in entries if e.week == monday]})
        months.append({"month": m, "weeks": weeks, "count": sum(len(w["entries"]) for w in weeks)})
    return months


def _check_plan_visible(request, campaign, runs, verb):
    """The office and those above it always; the units once the plan is published."""
    if not (
        runs
        or request.access.can_see_org(campaign.office)
        or campaign.status == Campaign.Status.PLAN_PUBLISHED
    ):
        raise PermissionDenied(f"计划安排表发布后才能{verb}。")


@staff_required
def campaign_plan(request, campaign_id):
    campaign = access_campaign(request, campaign_id)
    access = request.access
    runs = runs_campaign(access, campaign)
    _check_plan_visible(request, campaign, runs, "查看")
    entries = list(campaign.plan_entries.select_related("unit", "event"))
    form = PlanForm(request.POST or None, initial={"month_capacity": campaign.month_capacity})
    if request.method == "POST":
        if not runs:
            raise PermissionDenied("只有本级政务公开办管理员可以调整计划。")
        if "move" in request.POST:
            entry_id = param.object_id(request.POST.get("entry"))
            entry = get_object_or_404(PlanEntry, pk=entry_id, campaign=campaign)
            try:
                week = date.fromisoformat(request.POST.get("week", ""))
                services.move_entry(request.user, entry, week)
            except (ValueError, ValidationError):
                messages.error(request, "所选周无效，请从列表中选择开展期内的一周。")
            else:
                messages.success(request, f"已把“{entry.theme}”调整到 {week:%m月%d日} 所在周。")
            return redirect("control:campaign_plan", campaign.pk)
        if "publish" in request.POST:
            try:
                services.publish_plan(request.user, campaign)
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            else:
                messages.success(request, "计划安排表已发布，公众可在门户查看。")
            return redirect("control:campaign_plan", campaign.pk)
        if form.is_valid():
            try:
                plan = services.generate_plan(
                    request.user,
                    campaign,
                    month_capacity=form.cleaned_data["month_capacity"],
                )
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            else:
                kept = len(plan.slots) - len({p.item_id for p in plan.problems})
                messages.success(
                    request,
                    f"已生成计划：{len(plan.slots)} 项，其中 {kept} 项完全满足规则；"
                    f"其余各项的原因见表中提示。",
                )
            return redirect("control:campaign_plan", campaign.pk)
    weeks = [
        (w, f"{m}月 · {w:%m月%d日}起")
        for m in campaign.months
        for w in scheduler.weeks_of_month(campaign.year, m)
    ]
    return render(
        request,
        "control/campaigns/plan.html",
        {
            "campaign": campaign,
            "entries": entries,
            "calendar": _calendar(campaign, entries),
            "runs": runs,
            "form": form,
            "weeks": weeks,
            "approved": campaign.declarations.filter(status="approved").count(),
        },
    )


@staff_required
def campaign_plan_xlsx(request, campaign_id):
    campaign = access_campaign(request, campaign_id)
    runs = runs_campaign(request.access, campaign)
    _check_plan_visible(request, campaign, runs, "下载")
    entries = campaign.plan_entries.select_related("unit")
    data = workbooks.plan_workbook(campaign, entries, full_phone=runs)
    return download(data, XLSX, f"{campaign.year}年计划安排表.xlsx")


@staff_required
def campaign_plan_docx(request, campaign_id):
    campaign = access_campaign(request, campaign_id)
    runs = runs_campaign(request.access, campaign)
    _check_plan_visible(request, campaign, runs, "下载")
    data = documents.plan_docx(
        campaign, campaign.plan_entries.select_related("unit"), full_phone=runs
    )
    return download(data, DOCX, f"{campaign.year}年计划安排表.docx")


@staff_required
@require_POST
def campaign_logo(request, campaign_id):
    """Upload or remove the campaign's LOGO (PNG or JPEG, at most 1 MB)."""
    from openday.campaigns import logo

    campaign = access_campaign(request, campaign_id, run=True)
    if "remove" in request.POST:
        logo.remove_logo(request.user, campaign)
        messages.success(request, "已删除 LOGO。")
    elif not request.FILES.get("logo"):
        messages.error(request, "请选择 LOGO 图片（PNG 或 JPEG，不超过 1 MB）。")
    else:
        try:
            logo.set_logo(request.user, campaign, request.FILES["logo"].read())
        except ValidationError as exc:
            messages.error(request, "；".join(m for v in exc.message_dict.values() for m in v))
        else:
            messages.success(request, "LOGO 已更新，活动页面、会标背景图和打印材料都会使用它。")
    return redirect("control:campaign_detail", campaign.pk)
