"""Staff forms for articles. A form only gathers the fields; services say what is wrong."""

from django import forms
from django.utils import timezone

from openday.lib.edge import Form

from .models import Article
from .services import AUTHOR_LIMIT, BODY_LIMIT, CAPTION_LIMIT, LEAD_LIMIT, TITLE_LIMIT

BODY_HELP = (
    "纯文本：空一行表示另起一段；单独一行写 <code>[图1]</code>、<code>[图2]</code> 表示在此处插入第1、第2张图片"
    "（图片在保存后上传）。没有放进正文的图片显示在文末。"
)


def _event_label(e):
    return f"{e.title}（{timezone.localtime(e.starts_at):%Y-%m-%d}）"


class ArticleForm(Form):
    unit = forms.TypedChoiceField(
        label="署名单位",
        coerce=int,
        help_text="以哪个单位的名义发布；政务公开办的通知公告请选择政务公开办。",
    )
    kind = forms.ChoiceField(label="类型", choices=Article.Kind.choices, initial=Article.Kind.NEWS)
    event = forms.TypedChoiceField(
        label="关联活动",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="关联活动后，稿件显示在该活动所属年度活动的专栏中。",
    )
    campaign = forms.TypedChoiceField(
        label="年度活动（不关联活动时）", coerce=int, required=False, empty_value=None
    )
    title = forms.CharField(
        label="标题", required=False, widget=forms.TextInput(attrs={"maxlength": TITLE_LIMIT})
    )
    lead = forms.CharField(
        label="导语（可空）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": LEAD_LIMIT}),
        help_text="一两句话概括全文，显示在专栏列表和宣传栏公告中；不填则取正文第一段。",
    )
    body = forms.CharField(
        label="正文",
        required=False,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 18, "maxlength": BODY_LIMIT}),
    )
    author_name = forms.CharField(
        label="署名（作者、通讯员，可空）",
        required=False,
        widget=forms.TextInput(attrs={"maxlength": AUTHOR_LIMIT}),
    )

    def __init__(self, *args, units=(), events=(), campaigns=(), fixed_unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_unit is not None:
            del self.fields["unit"]
        else:
            self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["event"].choices = [("", "（不关联活动）")] + [
            (e.pk, _event_label(e)) for e in events
        ]
        self.fields["campaign"].choices = [("", "（不关联）")] + [
            (c.pk, c.title) for c in campaigns
        ]


class ImageForm(Form):
    image = forms.FileField(
        label="上传图片",
        help_text="JPG 或 PNG 照片，每张不超过 5 MB。",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
        error_messages={"required": "请选择要上传的图片。"},
    )
    caption = forms.CharField(
        label="图片说明（可空）",
        required=False,
        widget=forms.TextInput(attrs={"maxlength": CAPTION_LIMIT}),
    )


class ApproveForm(Form):
    note = forms.CharField(
        label="审核意见（可空）", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(Form):
    note = forms.CharField(
        label="退回意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明需要修改的地方，单位会在待办中看到。",
    )


class WithdrawForm(Form):
    reason = forms.CharField(
        label="撤回原因",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="撤回后专栏中不再显示本文，可修改后重新提交审核。",
    )


class WeChatAccountForm(Form):
    """An office's WeChat official account. The AppSecret is write-only: never shown again."""

    app_id = forms.CharField(
        label="开发者ID（AppID）",
        required=False,
        max_length=32,
        help_text="公众号后台“设置与开发 → 基本配置”中的开发者ID，以 wx 开头。",
    )
    secret = forms.CharField(
        label="开发者密码（AppSecret）",
        required=False,
        max_length=64,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    author_name = forms.CharField(
        label="作者署名（可空）",
        required=False,
        max_length=16,
        help_text="显示在公众号文章标题下的作者，不超过 16 个字；不填则用稿件的署名。",
    )
    enabled = forms.BooleanField(
        label="启用一键发布",
        required=False,
        help_text="启用后，本办审核发布的稿件可以在稿件页面一键发布到公众号。",
    )
    base_url = forms.CharField(
        label="接口地址",
        required=False,
        max_length=200,
        help_text="一般不用修改（https://api.weixin.qq.com）；只有运维人员可以修改，用于测试。",
    )

    def __init__(self, *args, has_secret=False, operator=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].help_text = (
            "已设置。出于安全考虑不再显示；如需更换，在此填写新的开发者密码，留空则保持不变。"
            if has_secret
            else "公众号后台“设置与开发 → 基本配置”中生成或重置的开发者密码。"
        )
        if not operator:
            self.fields["base_url"].disabled = True
