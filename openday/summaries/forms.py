"""Staff forms for summaries and photos. A form only gathers the fields; services say what is wrong."""

from django import forms

from openday.lib.edge import Form

from . import photos
from . import services as summaries


def _text(field, rows, help_text=""):
    return forms.CharField(
        label=summaries.FIELD_NAMES[field],
        required=False,
        max_length=summaries.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class SummaryForm(Form):
    overview = _text("overview", 4, "可选：活动开展的总体情况，写在正文开头。")
    experiences = _text("experiences", 6, "好经验、好做法，例如组织、宣传、互动环节的做法。")
    shortcomings = _text("shortcomings", 5)
    causes = _text("causes", 4)
    next_steps = _text("next_steps", 4, "如何把好的做法制度化、常态化，如何改进不足。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, minimum in summaries.REQUIRED.items():
            extra = f"报送时必填，至少 {minimum} 个字。"
            help_text = self.fields[field].help_text
            self.fields[field].help_text = f"{help_text} {extra}".strip()


class ReopenForm(Form):
    reason = forms.CharField(
        label="退回原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class PhotoForm(Form):
    caption = forms.CharField(label="说明", required=False, max_length=photos.CAPTION_MAX)
    shows_logo = forms.BooleanField(label="可见LOGO", required=False)
    public = forms.BooleanField(label="在专栏中公开", required=False)
