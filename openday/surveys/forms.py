from django import forms

from openday.events.models import GUEST_CATEGORIES
from openday.lib.edge import DateTimeInput, Form

from .models import Question
from .presets import CHOICES

DT_ERROR = {"invalid": "时间格式不正确，如 2023-06-06 08:30。"}


class SurveyForm(Form):
    title = forms.CharField(label="问卷标题", max_length=200)
    intro = forms.CharField(
        label="问卷说明",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="显示在问卷开头，如填写目的、大约用时。",
    )
    event = forms.TypedChoiceField(
        label="关联活动",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="在活动的座谈交流环节发放的问卷，请关联该活动。",
    )
    opens_at = forms.DateTimeField(
        label="开始时间（可空）",
        required=False,
        widget=DateTimeInput(),
        error_messages=DT_ERROR,
    )
    closes_at = forms.DateTimeField(
        label="截止时间（可空）",
        required=False,
        widget=DateTimeInput(),
        error_messages=DT_ERROR,
    )
    anonymous = forms.BooleanField(
        label="匿名填写（不收集姓名和手机号）", required=False, initial=True
    )
    ask_category = forms.BooleanField(
        label="询问参加人类别（用于按人大代表、群众等类别交叉统计）", required=False, initial=True
    )
    consent_text = forms.CharField(
        label="个人信息告知（实名问卷）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="实名问卷必须告知收集目的和保存期限；留空则使用默认告知。",
    )
    thanks = forms.CharField(label="提交后致谢语", max_length=300, required=False)

    def __init__(self, *args, events=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [("", "（不关联）")] + [
            (e.pk, f"{e.title}（{e.starts_at:%Y-%m-%d}）") for e in events
        ]


class SurveyCreateForm(SurveyForm):
    org = forms.TypedChoiceField(label="所属单位", coerce=int)
    template = forms.ChoiceField(
        label="从模板开始", required=False, choices=[("", "空白问卷"), *CHOICES]
    )
    field_order = ["org", "template", "title"]

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.pk, o.display_name) for o in orgs]
        self.fields["title"].required = False
        self.fields["title"].help_text = "从模板开始时可留空，使用模板的标题。"


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(Form):
    kind = forms.ChoiceField(label="题型", choices=Question.Kind.choices)
    title = forms.CharField(label="题目", max_length=300, required=False)  # checked by services
    help_text = forms.CharField(label="填写说明", max_length=300, required=False)
    required = forms.BooleanField(label="必答", required=False, initial=True)
    options_text = forms.CharField(
        label="选项",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="每行一个。满意度量表和矩阵的选项按从好到差排列（如 非常满意、满意、一般、不满意、非常不满意），"
        "第一项计最高分。",
    )
    rows_text = forms.CharField(
        label="矩阵的行（矩阵题）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个评价项目，如 浏览介绍、实地观摩。",
    )
    min_choices = forms.IntegerField(
        label="最少选（多选题）", required=False, min_value=1, max_value=30
    )
    max_choices = forms.IntegerField(
        label="最多选（多选题）", required=False, min_value=1, max_value=30
    )
    max_length = forms.IntegerField(
        label="字数上限（填空题）", required=False, min_value=1, max_value=5000
    )
    show_if_question = forms.TypedChoiceField(
        label="显示条件：当这道题", required=False, coerce=int, empty_value=None
    )
    show_if_values = forms.CharField(
        label="选择了这些选项序号时才显示",
        required=False,
        max_length=100,
        help_text="如 1 或 1,3；打分题填分数。留空“显示条件”表示总是显示。",
    )

    def __init__(self, *args, earlier=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["show_if_question"].choices = [("", "（总是显示）")] + [
            (q.pk, f"{q.title}（{q.get_kind_display()}）") for q in earlier
        ]

    def clean(self):
        data = super().clean()
        values = []
        for part in (data.get("show_if_values") or "").replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdecimal():
                self.add_error("show_if_values", "请填写选项序号，多个用逗号分隔。")
                break
            values.append(int(part))
        data["show_if"] = (
            {"question": data["show_if_question"], "values": values}
            if data.get("show_if_question")
            else None
        )
        return data

    def to_fields(self):
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "title": (d.get("title") or "").strip(),
            "help_text": d.get("help_text", ""),
            "required": d.get("required", False),
            "options": _lines(d.get("options_text")),
            "rows": _lines(d.get("rows_text")),
            "min_choices": d.get("min_choices"),
            "max_choices": d.get("max_choices"),
            "max_length": d.get("max_length"),
            "show_if": d.get("show_if"),
        }

    @staticmethod
    def initial_for(q):
        cond = q.show_if or {}
        return {
            "kind": q.kind,
            "title": q.title,
            "help_text": q.help_text,
            "required": q.required,
            "options_text": "\n".join(q.options or []),
            "rows_text": "\n".join(q.rows or []),
            "min_choices": q.min_choices,
            "max_choices": q.max_choices,
            "max_length": q.max_length,
            "show_if_question": cond.get("question"),
            "show_if_values": ",".join(str(v) for v in cond.get("values", [])),
        }


class ImportForm(Form):
    file = forms.FileField(label="纸质答卷录入表（xlsx）")


CATEGORY_CHOICES = [("", "未填写"), *GUEST_CATEGORIES]
