"""Staff forms for opinions: typing in forum notes, calls and cards; the actions on one opinion;
call-backs; and the forum-notes spreadsheet (its template and an all-or-nothing reader).

Rules live in services: a form only gathers the fields, services say what is wrong in Chinese.
"""

import io
from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from openday.events.models import CATEGORY_NAMES, GUEST_CATEGORIES, Event
from openday.lib import spreadsheet
from openday.lib.edge import DateInput, DateTimeInput, Form
from openday.lib.export_text import append_row
from openday.lib.imports import ImportResult
from openday.lib.spreadsheet import cell_text, open_workbook
from openday.orgs.models import Org

from .models import Callback, Opinion
from .services import CONTENT_LIMIT, check_submission

DT_ERROR = {"invalid": "时间格式不正确，如 2023-06-06 08:30。"}
DATE_ERROR = {"invalid": "日期格式不正确，如 2023-06-06。"}
CATEGORY_CHOICES = [("", "未填写"), *GUEST_CATEGORIES]
# What staff type in: notes from a forum, a phone call, a card or letter.
STAFF_SOURCES = [
    (s.value, s.label) for s in (Opinion.Source.FORUM, Opinion.Source.PHONE, Opinion.Source.PAPER)
]
SATISFACTION_CHOICES = [(n, f"{n}分") for n in range(5, 0, -1)]


def _event_label(e):
    return f"{e.title}（{timezone.localtime(e.starts_at):%Y-%m-%d}）"


def _not_future(value):
    if value and value > timezone.now() + timedelta(minutes=5):
        raise forms.ValidationError("收到时间不能晚于现在。")
    return value


class WhereMixin:
    """An event of an org the user may enter for, or else the office that takes the opinion."""

    def _set_where(self, events, offices):
        self.fields["event"].choices = [("", "（不关联活动）")] + [
            (e.pk, _event_label(e)) for e in events
        ]
        self.fields["office"].choices = [("", "（请选择）")] + [
            (o.pk, o.display_name) for o in offices
        ]
        if not offices:
            del self.fields["office"]
            self.fields["event"].required = True
            self.fields["event"].help_text = "请选择意见所属的活动（座谈会、开放日等）。"

    def _check_where(self, cleaned):
        if not cleaned.get("event") and not cleaned.get("office") and "event" not in self.errors:
            self.add_error("event", "请选择活动，或选择受理意见的政务公开办。")


class EntryForm(WhereMixin, Form):
    """One opinion typed in by staff: a forum speaker's words, a phone call, a paper card."""

    source = forms.ChoiceField(label="来源", choices=STAFF_SOURCES, initial="forum")
    event = forms.TypedChoiceField(
        label="活动",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="座谈会上的发言请选择该活动；选择了活动时由活动所属的政务公开办受理。",
    )
    office = forms.TypedChoiceField(
        label="受理的政务公开办（不关联活动时）", required=False, coerce=int, empty_value=None
    )
    content = forms.CharField(
        label="意见内容",
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": CONTENT_LIMIT}),
        error_messages={"required": "请填写意见建议的内容。"},
    )
    name = forms.CharField(label="发言人/来电人姓名（可空）", max_length=64, required=False)
    phone = forms.CharField(
        label="手机号（可空）",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric"}),
        help_text="用于答复和回访；加密保存，页面上只显示脱敏号码。请先告知对方用途并征得同意。",
    )
    category = forms.ChoiceField(label="参加人类别", choices=CATEGORY_CHOICES, required=False)
    received_at = forms.DateTimeField(
        label="收到时间",
        widget=DateTimeInput(),
        error_messages={**DT_ERROR, "required": "请填写收到时间。"},
    )

    def __init__(self, *args, events=(), offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_where(events, offices)

    def clean_received_at(self):
        return _not_future(self.cleaned_data.get("received_at"))

    def clean(self):
        cleaned = super().clean()
        self._check_where(cleaned)
        return cleaned


class ImportForm(WhereMixin, Form):
    source = forms.ChoiceField(label="来源", choices=STAFF_SOURCES, initial="forum")
    event = forms.TypedChoiceField(
        label="默认活动（表中“活动编号”为空的行）", required=False, coerce=int, empty_value=None
    )
    office = forms.TypedChoiceField(
        label="默认受理的政务公开办（不关联活动的行）", required=False, coerce=int, empty_value=None
    )
    file = forms.FileField(label="座谈会意见录入表（xlsx）")

    def __init__(self, *args, events=(), offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_where(events, offices)
        self.fields["event"].required = False  # each row may name its own event


# --- Actions on one opinion -------------------------------------------------------------------


class ClassifyForm(Form):
    topic_area = forms.CharField(
        label="主题领域",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"list": "topic-areas"}),
        help_text="可从年度活动的主题领域中选择，也可直接填写。",
    )
    topic = forms.ChoiceField(
        label="分类",
        required=False,
        help_text="本办的意见分类；政务公开办管理员可在“分拣模型”页修改分类列表。",
        error_messages={"invalid_choice": "“%(value)s”不在本办的分类中，请从列表中选择。"},
    )
    summary = forms.CharField(
        label="公开摘要",
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="公开办理结果时显示的摘要，不写姓名、电话、门牌号等个人信息；"
        "留空则显示意见原文的开头。",
    )

    def __init__(self, *args, categories=(), current="", **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "（未分类）")] + [(c, c) for c in categories]
        if current and current not in categories:
            # Kept selectable so that saving the form never drops an earlier value.
            choices.append((current, f"{current}（不在本办分类中）"))
        self.fields["topic"].choices = choices


class CategoriesForm(Form):
    """An office's category list: a preset, or one category a line."""

    preset = forms.ChoiceField(
        label="分类来源",
        widget=forms.RadioSelect,
        initial="custom",
        error_messages={"required": "请选择分类来源。"},
    )
    categories = forms.CharField(
        label="本办的意见分类（每行一个）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )

    def __init__(self, *args, presets=(), limits=(2, 30, 20), **kwargs):
        super().__init__(*args, **kwargs)
        low, high, length = limits
        self.fields["preset"].choices = list(presets)
        rule = f"每行一个，{low}到{high}个，每个不超过{length}个字，不能重复。"
        self.fields["categories"].help_text = "选择“按下面填写的分类”时使用：" + rule


class AssignForm(Form):
    unit = forms.TypedChoiceField(
        label="责任单位",
        coerce=int,
        empty_value=None,
        error_messages={"required": "请选择责任单位。"},
    )
    assignee = forms.TypedChoiceField(
        label="责任人（可由单位稍后指定）", required=False, coerce=int, empty_value=None
    )
    due_days = forms.IntegerField(
        label="办理期限（工作日）",
        required=False,
        min_value=1,
        max_value=90,
        error_messages={
            "min_value": "办理期限应在1到90个工作日之间。",
            "max_value": "办理期限应在1到90个工作日之间。",
            "invalid": "请填写工作日天数。",
        },
    )
    reason = forms.CharField(
        label="改派原因", max_length=200, required=False, help_text="更换责任单位或责任人时必填。"
    )

    def __init__(self, *args, units=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "（请选择）")] + [(u.pk, u.name) for u in units]
        self.fields["assignee"].choices = [("", "（暂不指定）")] + [
            (p.pk, p.get_full_name()) for p in people
        ]


class AnswerForm(Form):
    decision = forms.ChoiceField(
        label="采纳情况", choices=Opinion.Decision.choices, required=False, widget=forms.RadioSelect
    )
    answer = forms.CharField(
        label="答复内容",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 5000}),
        help_text="选择“解释说明（未采纳）”时，请写明未采纳的理由。",
    )


class StepForm(Form):
    description = forms.CharField(label="整改措施", max_length=300, required=False)
    planned_date = forms.DateField(
        label="计划完成日期",
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERROR,
    )


class StepDoneForm(Form):
    step = forms.IntegerField(widget=forms.HiddenInput)
    done_date = forms.DateField(
        label="实际完成日期",
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERROR,
    )


class EvidenceForm(Form):
    step = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(
        label="佐证材料（JPG、PNG 或 PDF，不超过 10 MB）",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
    )


class ReviewForm(Form):
    outcome = forms.ChoiceField(
        label="审核结果",
        widget=forms.RadioSelect,
        choices=[
            ("approve", "审核通过"),
            ("publish", "审核通过并公开"),
            ("return", "退回修改"),
        ],
        error_messages={"required": "请选择审核结果。"},
    )
    note = forms.CharField(
        label="审核意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="退回修改时必填。",
    )


class UnpublishForm(Form):
    reason = forms.CharField(label="撤回公开的原因", max_length=200, required=False)


class MergeForm(Form):
    codes = forms.CharField(
        label="要合并进来的意见的查询码",
        max_length=500,
        error_messages={"required": "请填写要合并的意见的查询码。"},
        help_text="多个查询码用空格或逗号分隔。被合并的意见随本条办理，办结时会通知每一位提出人。",
    )

    def clean_codes(self):
        text = self.cleaned_data["codes"]
        for sep in ",，、;；\n\t":
            text = text.replace(sep, " ")
        codes = list(dict.fromkeys(c.strip().upper() for c in text.split() if c.strip()))
        if not codes:
            raise forms.ValidationError("请填写要合并的意见的查询码。")
        return codes


class SplitForm(Form):
    parts = forms.CharField(
        label="拆分后的各条意见",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "请填写拆分后的内容。"},
        help_text="每段（每行）一条，至少两条。第一条保留原查询码，其余各条生成新的查询码。",
    )

    def clean_parts(self):
        return [line.strip() for line in self.cleaned_data["parts"].splitlines() if line.strip()]


# --- Call-backs --------------------------------------------------------------------------------


class CallbackForm(Form):
    outcome = forms.ChoiceField(
        label="回访结果",
        widget=forms.RadioSelect,
        required=False,
        choices=[(v, label) for v, label in Callback.Outcome.choices if v != Callback.Outcome.TODO],
    )
    satisfaction_handling = forms.TypedChoiceField(
        label="对意见办理的满意度（1–5分，5分最满意）",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=SATISFACTION_CHOICES,
    )
    satisfaction_event = forms.TypedChoiceField(
        label="对活动的满意度（1–5分，5分最满意）",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=SATISFACTION_CHOICES,
    )
    notes = forms.CharField(
        label="回访记录", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    retry_at = forms.DateTimeField(
        label="再次回访时间（无人接听时）",
        required=False,
        widget=DateTimeInput(),
        error_messages=DT_ERROR,
        help_text="不填则默认一天后再打。",
    )


# --- Forum notes from a spreadsheet ------------------------------------------------------------

HEADERS = ["内容", "发言人", "手机号", "类别", "活动编号", "收到日期"]
SHEET = "座谈会意见"
BY_NAME = {name: code for code, name in GUEST_CATEGORIES}
MAX_ROWS = 2000
DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]


def template_workbook(events=()):
    """The blank forum-notes sheet and a sheet explaining it, with the events one may name."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    spreadsheet.append_header(ws, HEADERS)
    for letter, width in zip("ABCDEF", (60, 12, 16, 12, 10, 14), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet("填写说明")
    append_row(help_ws, ["列", "是否必填", "填写方法"])
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    for row in (
        ("内容", "必填", f"发言的意见建议，不超过{CONTENT_LIMIT}字；一人提出几件事可分几行填写"),
        ("发言人", "可空", "姓名；不愿留名的可不填"),
        ("手机号", "可空", "11位手机号，用于答复和回访（需征得本人同意）"),
        ("类别", "可空", "、".join(CATEGORY_NAMES.values())),
        ("活动编号", "可空", "见下方活动列表；为空时使用上传页面上选择的默认活动或政务公开办"),
        ("收到日期", "可空", "如 2023-06-06；为空时取活动的开始时间（不关联活动时取上传时间）"),
    ):
        append_row(help_ws, row)
    append_row(help_ws, [])
    append_row(help_ws, ["活动编号", "活动", "日期"])
    help_ws.cell(help_ws.max_row, 1).font = Font(bold=True)
    for e in events:
        append_row(help_ws, [e.pk, e.title, f"{timezone.localtime(e.starts_at):%Y-%m-%d}"])
    for letter, width in zip("ABC", (10, 60, 60), strict=True):
        help_ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _category(text):
    if not text:
        return "", None
    if text in CATEGORY_NAMES:
        return text, None
    if text in BY_NAME:
        return BY_NAME[text], None
    return "", f"类别“{text}”不正确，应为：{'、'.join(CATEGORY_NAMES.values())}"


def _received(value, event):
    """(aware datetime, problem) from a date cell; empty means the event's start, or now."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return (event.starts_at if event is not None else timezone.now()), None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(9, 0))
    else:
        text = cell_text(value)
        moment = None
        for fmt in DATE_FORMATS:
            for suffix in ("", " %H:%M", " %H:%M:%S"):
                try:
                    moment = datetime.strptime(text, fmt + suffix)
                except ValueError:
                    continue
                if not suffix:
                    moment = moment.replace(hour=9)
                break
            if moment is not None:
                break
        if moment is None:
            return None, f"收到日期“{text}”无法识别，请填写如 2023-06-06"
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if timezone.localdate(moment) > timezone.localdate():
        return None, "收到日期不能晚于今天"
    return moment, None


def read_workbook(
    data: bytes,
    *,
    source: str,
    events: dict[int, Event],
    default_event: Event | None = None,
    default_office: Org | None = None,
) -> ImportResult:
    """Check every row of a forum-notes sheet; nothing is written here.

    events: {id: event} the importer may enter opinions for. details["rows"] holds
    submit_opinion's keyword arguments, one per row, only when no row has a problem."""
    result = ImportResult(details={"rows": []})
    rows: list[dict] = []
    wb, problem = open_workbook(data)
    if problem:
        result.add_error(0, problem)
        return result
    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    lines = ws.iter_rows(values_only=True)
    head = [cell_text(v) for v in next(lines, ())]
    while head and not head[-1]:
        head.pop()
    if [h.rstrip("*＊") for h in head[: len(HEADERS)]] != HEADERS:
        result.add_error(1, "表头应为：" + "、".join(HEADERS) + "。请下载导入模板后填写。")
        return result
    for n, values in enumerate(lines, 2):
        values = list(values[: len(HEADERS)]) + [None] * (len(HEADERS) - len(values))
        cells = [cell_text(v) for v in values]
        if not any(cells):
            continue
        if len(rows) + len(result.errors) >= MAX_ROWS:
            result.add_error(n, f"一次最多导入{MAX_ROWS}条，请分成几个文件上传")
            break
        content, name, phone, cat, event_no, _ = cells
        reasons = []
        category, problem = _category(cat)
        if problem:
            reasons.append(problem)
        event = default_event
        office = default_office if default_event is None else None
        if event_no:
            event = events.get(int(event_no)) if event_no.isdecimal() else None
            office = None
            if event is None:
                reasons.append(f"活动编号 {event_no} 不存在，或您无权为该活动录入意见")
        elif event is None and office is None:
            reasons.append("请填写活动编号，或在上传时选择默认的活动或政务公开办")
        received_at, problem = _received(values[5], event)
        if problem:
            reasons.append(problem)
        errors = check_submission(
            content=content,
            name=name,
            phone=phone,
            anonymous=False,
            consent=False,
            category="",
            public=False,
        )
        reasons.extend(errors.values())
        if reasons:
            result.add_error(n, "；".join(r.rstrip("。") for r in reasons))
        else:
            rows.append(
                {
                    "content": content,
                    "source": source,
                    "event": event,
                    "office": office,
                    "name": name,
                    "phone": phone,
                    "category": category,
                    "received_at": received_at,
                }
            )
    if not result.errors and not rows:
        result.add_error(0, "文件中没有意见数据。")
    result.details["rows"] = [] if result.errors else rows
    return result
