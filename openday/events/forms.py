from django import forms
from django.utils import timezone

from openday.lib.edge import DateTimeInput, Form
from openday.lib.personal_data import is_mobile

from .models import GUEST_CATEGORIES, Event

ACTIVITY_FORMS = [
    "浏览介绍",
    "实地调研",
    "实地观摩",
    "现场观摩",
    "座谈交流",
    "政策发布",
    "问卷调查",
]


def _lines(text, parts):
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        cells = [c.strip() for c in line.replace("|", "｜").split("｜")]
        cells += [""] * (parts - len(cells))
        rows.append(cells[:parts])
    return rows


TITLE_HELP = "按年度活动的命名规则填写，如：××××单位{year}年“政务公开主题日”活动。"


def _year_of(value):
    """The local year of a datetime (or a value typed for one), or None."""
    if hasattr(value, "year"):
        return timezone.localtime(value).year if timezone.is_aware(value) else value.year
    return None


class EventForm(Form):
    title = forms.CharField(
        label="会标（活动名称）",
        max_length=200,
        help_text=TITLE_HELP.format(year="××××"),
    )
    theme = forms.CharField(label="活动主题", max_length=200, required=False)
    topic_area = forms.CharField(label="主题领域", max_length=32, required=False)
    activity_forms = forms.MultipleChoiceField(
        label="活动形式",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(f, f) for f in ACTIVITY_FORMS],
    )
    summary = forms.CharField(
        label="活动简介", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    starts_at = forms.DateTimeField(
        label="开始时间",
        widget=DateTimeInput(),
        error_messages={"invalid": "时间格式不正确，如 2023-06-06 08:30。"},
    )
    ends_at = forms.DateTimeField(
        label="结束时间",
        widget=DateTimeInput(),
        error_messages={"invalid": "时间格式不正确，如 2023-06-06 11:30。"},
    )
    venues_text = forms.CharField(
        label="活动地点",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一个：名称｜地址。",
    )
    agenda_text = forms.CharField(
        label="活动议程",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一项：时间｜形式（浏览介绍、实地观摩、座谈交流…）｜地点｜主持人。",
    )
    directory_text = forms.CharField(
        label="参观部门介绍（浏览介绍环节）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个部门：部门名称｜主要职能｜办事程序｜重点工作｜联系方式（办公电话）。",
    )
    capacity = forms.IntegerField(
        label="总名额",
        min_value=1,
        max_value=100000,
        help_text="下面各类别名额留空表示不邀请该类别；全部留空表示不分类别。",
    )
    waitlist_limit = forms.IntegerField(label="候补名额", min_value=0, max_value=100000, initial=50)
    registration_mode = forms.ChoiceField(label="报名方式", choices=Event.Mode.choices)
    registration_opens_at = forms.DateTimeField(
        label="报名开始（可空）",
        required=False,
        widget=DateTimeInput(),
    )
    registration_closes_at = forms.DateTimeField(
        label="报名截止（可空）",
        required=False,
        widget=DateTimeInput(),
    )
    consent_text = forms.CharField(label="个人信息告知", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, year=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The example title's year: the event's (or its campaign's), else this year.
        year = year or _year_of(self.initial.get("starts_at")) or timezone.localdate().year
        self.fields["title"].help_text = TITLE_HELP.format(year=year)
        for code, name in GUEST_CATEGORIES:
            self.fields[f"quota_{code}"] = forms.IntegerField(
                label=f"{name}名额", min_value=0, max_value=100000, required=False
            )

    def event_fields(self):
        d = self.cleaned_data
        quotas = {
            code: d[f"quota_{code}"]
            for code, _ in GUEST_CATEGORIES
            if d.get(f"quota_{code}") is not None
        }
        fields = {
            "title": d["title"].strip(),
            "theme": d["theme"],
            "topic_area": d["topic_area"],
            "forms": d["activity_forms"],
            "summary": d["summary"],
            "starts_at": d["starts_at"],
            "ends_at": d["ends_at"],
            "venues": [{"name": n, "address": a} for n, a in _lines(d["venues_text"], 2)],
            "agenda": [
                {"time": t, "form": f, "place": p, "host": h}
                for t, f, p, h in _lines(d["agenda_text"], 4)
            ],
            "directory": [
                {"name": n, "functions": f, "procedures": p, "key_work": k, "contacts": c}
                for n, f, p, k, c in _lines(d["directory_text"], 5)
            ],
            "capacity": d["capacity"],
            "waitlist_limit": d["waitlist_limit"],
            "registration_mode": d["registration_mode"],
            "registration_opens_at": d["registration_opens_at"],
            "registration_closes_at": d["registration_closes_at"],
            "consent_text": d["consent_text"],
        }
        return fields, quotas


def initial_from(event):
    data = {
        "title": event.title,
        "theme": event.theme,
        "topic_area": event.topic_area,
        "activity_forms": event.forms,
        "summary": event.summary,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "venues_text": "\n".join(
            f"{v.get('name', '')}｜{v.get('address', '')}" for v in event.venues
        ),
        "agenda_text": "\n".join(
            "｜".join([a.get("time", ""), a.get("form", ""), a.get("place", ""), a.get("host", "")])
            for a in event.agenda
        ),
        "directory_text": "\n".join(
            "｜".join(
                [
                    d.get("name", ""),
                    d.get("functions", ""),
                    d.get("procedures", ""),
                    d.get("key_work", ""),
                    d.get("contacts", ""),
                ]
            )
            for d in event.directory
        ),
        "capacity": event.capacity,
        "waitlist_limit": event.waitlist_limit,
        "registration_mode": event.registration_mode,
        "registration_opens_at": event.registration_opens_at,
        "registration_closes_at": event.registration_closes_at,
        "consent_text": event.consent_text,
    }
    for q in event.quotas.all():
        data[f"quota_{q.category}"] = q.seats
    return data


class RegistrationForm(Form):
    name = forms.CharField(
        label="姓名", max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}
        ),
    )
    category = forms.ChoiceField(label="参加人类别")
    organization = forms.CharField(label="单位/职务（可不填）", max_length=100, required=False)
    consent = forms.BooleanField(label="我已阅读并同意上面的个人信息告知", required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "请选择")] + [
            (
                c["code"],
                f"{c['name']}（余 {c['left']} 个名额）"
                if c["left"]
                else f"{c['name']}（已满，可候补）",
            )
            for c in categories
        ]

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not is_mobile(phone):
            raise forms.ValidationError("手机号格式不正确，请填写 11 位手机号。")
        return phone


class CheckinForm(Form):
    q = forms.CharField(label="票号、姓名或手机号后四位", max_length=64)
