"""Staff pages of the working-day calendar (工作日历): every staff member reads it, office admins
and operators keep it (add, change or remove a day; import a year's State Council notice)."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from openday.lib.edge import Form
from openday.lib.spreadsheet import upload_problem
from openday.workdays import services
from openday.workdays.models import SpecialDay

from .shortcuts import XLSX, apply_errors, staff_required


class DayForm(Form):
    date = forms.DateField(
        label="日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写日期。", "invalid": "日期格式不正确。"},
    )
    kind = forms.ChoiceField(
        label="类型",
        choices=SpecialDay.Kind.choices,
        initial="holiday",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择类型。"},
    )
    name = forms.CharField(
        label="名称",
        max_length=50,
        required=False,
        help_text="节日名称，如 春节、国庆节；调休上班日也写所属节日。",
    )


class ImportForm(Form):
    year = forms.IntegerField(
        label="年份",
        required=False,
        min_value=services.MIN_YEAR,
        max_value=services.MAX_YEAR,
        help_text="粘贴通知文本时填写通知所属的年份；上传 Excel 文件时可不填。",
        error_messages={
            "invalid": "年份请填写四位数字，如 2027。",
            "min_value": "年份不正确。",
            "max_value": "年份不正确。",
        },
    )
    text = forms.CharField(
        label="粘贴通知文本",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="从国务院办公厅《关于××××年部分节假日安排的通知》中复制各节日的安排，"
        "如“春节：2月10日至17日放假调休，共8天。2月4日（星期日）、"
        "2月18日（星期日）上班。”",
    )
    file = forms.FileField(
        label="或上传 .xlsx 文件",
        required=False,
        help_text="每行一天：日期、类型（休/班）、名称。可先下载导入模板。",
    )

    def clean(self):
        data = super().clean()
        text, upload = (data.get("text") or "").strip(), data.get("file")
        if not text and not upload:
            raise ValidationError("请粘贴通知文本或上传 .xlsx 文件。")
        if text and upload:
            raise ValidationError("请只选择一种方式：粘贴文本或上传文件。")
        if upload is not None:
            problem = upload_problem(upload)
            if problem:
                self.add_error("file", problem)
        return data


def _require_editor(request):
    if not services.can_edit(request.access):
        raise PermissionDenied(services.NO_RIGHT)


@staff_required
def workday_index(request):
    """This year's page, at a stable address for the navigation."""
    return _year_page(request, timezone.localdate().year)


@staff_required
def workday_year(request, year):
    return _year_page(request, year)


def _year_page(request, year):
    if not services.MIN_YEAR <= year <= services.MAX_YEAR:
        raise Http404("年份超出范围。")
    can_edit = services.can_edit(request.access)
    form = DayForm(initial={"date": dt.date(year, 1, 1).isoformat()} if can_edit else None)
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(services.NO_RIGHT)
        if request.POST.get("action") == "clear":
            try:
                day = dt.date.fromisoformat(request.POST.get("date", ""))
            except ValueError:
                messages.error(request, "日期格式不正确。")
            else:
                if services.clear_day(request.user, day):
                    messages.success(
                        request, f"已删除 {services.date_text(day)}，该日按普通周历计算。"
                    )
                return redirect("control:workday_year", year=day.year)
            return redirect("control:workday_year", year=year)
        form = DayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.set_day(request.user, data["date"], data["kind"], data["name"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"已保存 {services.date_text(data['date'])}。")
                return redirect("control:workday_year", year=data["date"].year)
        status = 400
    known = services.years_known()
    days = services.year_days(year)
    for d in days:
        d.weekday_name = services.weekday_name(d.date)
    holidays = sum(1 for d in days if d.kind == SpecialDay.Kind.HOLIDAY)
    estimated = []
    if year not in known:
        estimated = [
            {"date": day, "name": name, "weekday_name": services.weekday_name(day)}
            for day, name in services.estimated_days(year)
        ]
    return render(
        request,
        "control/workdays/year.html",
        {
            "year": year,
            "days": days,
            "known": year in known,
            "known_years": sorted(known),
            "estimated": estimated,
            "estimated_note": services.ESTIMATED_NOTE,
            "few_holidays": year in known and holidays < 7,
            "holiday_count": holidays,
            "can_edit": can_edit,
            "form": form,
            "prev_year": year - 1,
            "next_year": year + 1,
        },
        status=status,
    )


@staff_required
def workday_import(request):
    _require_editor(request)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data.get("file"):
            source = data["file"].read()
        else:
            source = data["text"]
        result = services.import_days(request.user, source, year=data.get("year"))
        if result.ok:
            years = "、".join(f"{y}年" for y in result.details["years"])
            messages.success(
                request,
                f"导入成功（{years}）：新增 {result.created} 天、更新 {result.updated} 天、"
                f"未变 {result.unchanged} 天。",
            )
            return redirect("control:workday_year", year=result.details["years"][-1])
    status = 400 if (form.errors or (result and not result.ok)) else 200
    return render(
        request, "control/workdays/import.html", {"form": form, "result": result}, status=status
    )


@staff_required
def workday_template(request):
    _require_editor(request)
    response = HttpResponse(services.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''workdays-template.xlsx"
    return response
