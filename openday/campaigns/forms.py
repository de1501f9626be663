from django import forms
from django.utils import timezone

from openday.lib.edge import DateInput, Form

from . import presets
from .models import Campaign, Declaration

MONTHS = [(m, f"{m}月") for m in range(1, 13)]


class ListField(forms.CharField):
    """A list of short names typed one per line or separated by 、 or commas."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "、".join(value)
        return value


class LinesField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value


UPPER_DOCUMENTS_HELP = "每行一个，如：湘政务公开办发〔{year}〕1号"


class CampaignForm(Form):
    title = forms.CharField(label="活动名称（实施方案标题）", max_length=200)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label="类型", choices=Campaign.Kind.choices)
    theme = forms.CharField(label="活动主题（口号，可选）", max_length=200, required=False)
    parent = forms.ModelChoiceField(
        label="上级活动（本活动所落实的上级方案）",
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="（无）",
    )
    upper_documents = forms.CharField(
        label="依据的上级文件",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=UPPER_DOCUMENTS_HELP.format(year="××××"),
    )
    recipients = forms.CharField(label="主送", max_length=200)
    topic_areas = ListField(label="主题领域", help_text="用顿号或换行分隔。")
    activity_forms = ListField(label="活动形式", help_text="单位申报时只能从这里选择。")
    guest_categories = ListField(label="邀请对象类别")
    window_start_month = forms.TypedChoiceField(label="开展起始月份", choices=MONTHS, coerce=int)
    window_end_month = forms.TypedChoiceField(label="开展截止月份", choices=MONTHS, coerce=int)
    declaration_deadline = forms.DateField(
        label="申报截止日期",
        widget=DateInput(),
        error_messages={"invalid": "日期格式不正确，请填写如 2023-04-03。"},
    )
    themes_per_unit = forms.IntegerField(label="每单位申报主题数", min_value=1, max_value=10)
    min_intro_length = forms.IntegerField(label="活动简介最少字数", min_value=0, max_value=500)
    reminder_days = forms.IntegerField(label="截止前几天开始提醒", min_value=0, max_value=30)
    opinion_due_days = forms.IntegerField(
        label="意见建议办理期限（工作日）",
        min_value=1,
        max_value=90,
        initial=15,
        help_text="交办意见建议时按工作日计算期限（扣除法定节假日，计入调休上班日）。",
    )
    contact_name = forms.CharField(label="联系人", max_length=64, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=32, required=False)
    contact_email = forms.CharField(label="电子邮箱", max_length=254, required=False)
    name_patterns = LinesField(
        label="会标命名规则", help_text="每行一种；{单位} {年度} {副题} 会被替换。"
    )
    forbidden_names = ListField(label="禁止使用的名称", required=False)
    body = forms.CharField(
        label="实施方案正文",
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="“一、”开头的行是一级标题，“（一）”开头的行是二级标题。正文中可以写这些占位符，"
        "显示和下载时按本活动的设置替换：{地点}（本办所在区划）、{年份}（活动年度）、"
        "{截止日期}（申报截止日期）、{政务公开办}、{联系人}、{联系电话}、{邮箱}、{开展时间}、"
        "{主题数}、{活动主题}。",
    )

    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The example's year: the campaign's, else this year.
        year = self.initial.get("year") or timezone.localdate().year
        self.fields["upper_documents"].help_text = UPPER_DOCUMENTS_HELP.format(year=year)
        self.fields["parent"].queryset = parents if parents is not None else Campaign.objects.none()
        self.fields["parent"].label_from_instance = lambda c: f"{c.office.display_name}：{c.title}"


class NewCampaignForm(Form):
    preset = forms.ChoiceField(
        label="模板",
        choices=[(k, v["label"]) for k, v in presets.PRESETS.items()],
        widget=forms.RadioSelect,
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)


class DeclarationForm(Form):
    contact_name = forms.CharField(label="联系人", max_length=64, required=False)
    contact_phone = forms.CharField(
        label="联系电话", max_length=32, required=False, help_text="手机号或带区号的固定电话。"
    )
    seal_note = forms.CharField(
        label="填报单位（公章）说明",
        max_length=200,
        required=False,
        help_text="线上提交无需盖章；如需纸质件，请注明盖章版的报送方式。",
    )


def declaration_initial(declaration):
    """The declaration form's header as stored; a declaration with no contact yet (a new one)
    starts from the unit's latest earlier declaration that has one, else from the unit's own
    contact (Org.contact_name, Org.contact_phone)."""
    initial = {
        "contact_name": declaration.contact_name,
        "contact_phone": declaration.contact_phone,
        "seal_note": declaration.seal_note,
    }
    if initial["contact_name"] or initial["contact_phone"]:
        return initial
    earlier = (
        Declaration.objects.filter(unit_id=declaration.unit_id)
        .exclude(pk=declaration.pk)
        .exclude(contact_name="")
        .order_by("-campaign__year", "-updated_at", "-pk")
        .first()
    )
    if earlier is not None:
        initial.update(contact_name=earlier.contact_name, contact_phone=earlier.contact_phone)
    else:
        unit = declaration.unit
        initial.update(contact_name=unit.contact_name, contact_phone=unit.contact_phone)
    return initial


class DeclarationRowForm(Form):
    theme = forms.CharField(label="活动主题", max_length=200, required=False)
    month = forms.TypedChoiceField(
        label="活动时间（月份）", required=False, coerce=int, empty_value=None
    )
    activity_forms = forms.MultipleChoiceField(
        label="活动形式", required=False, widget=forms.CheckboxSelectMultiple
    )
    topic_area = forms.ChoiceField(label="主题领域", required=False)
    intro = forms.CharField(
        label="活动简介", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [("", "请选择")] + [(m, f"{m}月") for m in campaign.months]
        self.fields["activity_forms"].choices = [(f, f) for f in campaign.activity_forms]
        self.fields["topic_area"].choices = [("", "（不选）")] + [
            (a, a) for a in campaign.topic_areas
        ]


class ReviewForm(Form):
    comment = forms.CharField(
        label="审核意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="退回时必填，单位会看到这段话。",
    )


class PlanForm(Form):
    month_capacity = forms.IntegerField(
        label="每月活动上限",
        min_value=1,
        max_value=500,
        required=False,
        help_text="留空则按平均数的 1.2 倍自动计算。",
    )


class UploadForm(Form):
    file = forms.FileField(
        label="xlsx 文件", error_messages={"required": "请选择要上传的 .xlsx 文件。"}
    )
