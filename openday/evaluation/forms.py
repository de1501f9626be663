"""Staff forms of the evaluation. Forms gather fields; the services say what is wrong."""

from django import forms

from openday.lib.edge import Form

from . import indicators as ind
from .models import Award

TEXTAREA = {"rows": 3}


class WeightsForm(Form):
    """One weight and one target per indicator of the catalogue."""

    def __init__(self, *args, standards=(), **kwargs):
        super().__init__(*args, **kwargs)
        current = {s.code: s for s in standards}
        for i in ind.CATALOGUE:
            s = current.get(i.code)
            self.fields[f"weight_{i.code}"] = forms.CharField(
                label=f"{i.label}分值",
                initial=s.weight.normalize() if s else i.weight,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
            )
            help_text = {
                ind.RATE: "比例，0.9 表示 90%",
                ind.SCORE: "1–5 分",
            }.get(i.kind, i.measure)
            self.fields[f"target_{i.code}"] = forms.CharField(
                label=f"{i.label}满分标准",
                help_text=help_text,
                initial=s.target.normalize() if s else i.target,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
            )

    def rows(self):
        data = self.cleaned_data
        return [
            {
                "indicator": i.code,
                "weight": data.get(f"weight_{i.code}", ""),
                "target": data.get(f"target_{i.code}", ""),
            }
            for i in ind.CATALOGUE
        ]

    def apply(self, error):
        """Put a services.WeightsInvalid on the fields it is about."""
        for code, problems in error.rows.items():
            field = f"weight_{code}" if f"weight_{code}" in self.fields else None
            for p in problems:
                target = field
                if field and ("满分标准" in p):
                    target = f"target_{code}"
                self.add_error(target, p)
        if error.total:
            self.add_error(None, error.total)

    def lines(self):
        """(indicator, weight field, target field) for the table layout."""
        return [(i, self[f"weight_{i.code}"], self[f"target_{i.code}"]) for i in ind.CATALOGUE]


INDICATOR_CHOICES = [("", "总分"), *[(i.code, i.label) for i in ind.CATALOGUE]]


class AdjustmentForm(Form):
    indicator = forms.ChoiceField(label="加减分项目", choices=INDICATOR_CHOICES, required=False)
    points = forms.CharField(
        label="加减分",
        help_text="正数为加分，负数为减分，如 2 或 -1.5",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    reason = forms.CharField(
        label="理由",
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="至少 5 个字，如“活动现场未设置LOGO标识，扣 1 分”。",
        error_messages={"required": "请写明加减分理由。"},
    )


class RevokeForm(Form):
    reason = forms.CharField(
        label="撤销理由",
        max_length=500,
        error_messages={"required": "请写明撤销理由。"},
    )


class AwardForm(Form):
    kind = forms.ChoiceField(
        label="表彰类型",
        choices=Award.Kind.choices,
        widget=forms.RadioSelect,
        initial=Award.Kind.BEST_EVENT,
    )
    event = forms.ChoiceField(label="优秀活动", required=False, help_text="表彰优秀活动时选择。")
    unit = forms.ChoiceField(
        label="单位",
        required=False,
        help_text="表彰优秀组织单位时选择；优秀活动自动取活动所属单位。",
    )
    citation = forms.CharField(
        label="推荐理由", required=False, max_length=500, widget=forms.Textarea(attrs=TEXTAREA)
    )

    def __init__(self, *args, units=(), events=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "（请选择）")] + [(u.pk, u.name) for u in units]
        self.fields["event"].choices = [("", "（请选择）")] + [(e.pk, e.title) for e in events]


class SummaryForm(Form):
    experiences = forms.CharField(
        label="经验做法", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    shortcomings = forms.CharField(
        label="存在不足", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_steps = forms.CharField(
        label="下一步打算", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class UnpublishForm(Form):
    reason = forms.CharField(label="撤回理由", max_length=500, required=False)
