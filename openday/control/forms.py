from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone

from openday.lib import personal_data
from openday.lib.edge import Form
from openday.orgs.models import Org, Region, Role, region_paths


def errors_text(exc_or_form):
    """A form's (or a ValidationError's) messages on one line, for a flash message."""
    if isinstance(exc_or_form, forms.ValidationError):
        return "；".join(exc_or_form.messages)
    return "；".join(e for errs in exc_or_form.errors.values() for e in errs)


class MobileField(forms.CharField):
    """An optional personal mobile number, normalized (spaces, dashes, +86 removed)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "手机号")
        super().__init__(max_length=20, required=False, **kwargs)
        self.widget.input_type = "tel"

    def clean(self, value):
        value = super().clean(value).strip()
        if value and not personal_data.is_mobile(value):
            raise forms.ValidationError("手机号格式不正确，请填写 11 位手机号。")
        return personal_data.normalize_phone(value)


class LoginForm(Form):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SecondFactorForm(Form):
    code = forms.CharField(
        label="验证码",
        max_length=32,
        help_text="打开手机上的身份验证器，输入本系统对应的 6 位数字；手机不在身边时可输入一个恢复码。",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class EnrolForm(Form):
    code = forms.CharField(
        label="验证器中显示的 6 位数字",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RegionForm(Form):
    name = forms.CharField(label="名称", max_length=64)
    code = forms.CharField(
        label="区划代码",
        max_length=12,
        required=False,
        help_text="县级及以上填 GB/T 2260 的 6 位代码；乡镇级 9 位、村级 12 位（统计用区划代码）；不清楚可留空。",
    )
    level = forms.ChoiceField(label="级别", choices=Region.Level.choices)
    parent = forms.ModelChoiceField(
        label="上级区划", queryset=Region.objects.none(), required=False, empty_label="（无，顶级）"
    )

    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        paths = region_paths()
        self.fields["parent"].queryset = (
            parents if parents is not None else Region.objects.all()
        ).order_by("code", "name")
        self.fields["parent"].label_from_instance = lambda r: (
            " > ".join(n.name for n in paths.get(r.pk, [r])) + f"（{r.code or '无代码'}）"
        )


DOC_CODE_HELP = "仅政务公开办填写，如“开政务公开办发”，发文字号将形如 开政务公开办发〔{year}〕1号。"


class OrgForm(Form):
    name = forms.CharField(label="名称（全称）", max_length=100)
    short_name = forms.CharField(label="简称", max_length=32, required=False)
    kind = forms.ChoiceField(label="类型", choices=Org.Kind.choices)
    parent = forms.ModelChoiceField(
        label="上级组织", queryset=Org.objects.none(), required=False, empty_label="（无，顶级）"
    )
    region = forms.ModelChoiceField(
        label="行政区划", queryset=Region.objects.none(), required=False, empty_label="（未设置）"
    )
    contact_name = forms.CharField(label="联系人", max_length=64, required=False)
    contact_phone = forms.CharField(
        label="联系电话",
        max_length=32,
        required=False,
        help_text="手机号或带区号的固定电话，如 0731-84390197。",
    )
    email = forms.CharField(label="电子邮箱", max_length=254, required=False)
    doc_code = forms.CharField(
        label="发文字号代字",
        max_length=32,
        required=False,
        help_text=DOC_CODE_HELP.format(year="××××"),
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        self.fields["doc_code"].help_text = DOC_CODE_HELP.format(year=year)
        self.fields["parent"].queryset = parents if parents is not None else Org.objects.none()
        self.fields["parent"].label_from_instance = lambda o: "　" * (o.depth - 1) + o.name
        paths = region_paths()
        self.fields["region"].queryset = Region.objects.order_by("code", "name")
        self.fields["region"].label_from_instance = lambda r: " > ".join(
            n.name for n in paths.get(r.pk, [r])
        )


class AddMemberForm(Form):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        help_text="已有账户填其用户名；新账户将自动生成一次性初始密码。",
    )
    full_name = forms.CharField(
        label="姓名", max_length=64, required=False, help_text="新建账户时必填。"
    )
    phone = MobileField()
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    title = forms.CharField(label="职务", max_length=64, required=False)

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, Role(r).label) for r in roles]


class MembershipForm(Form):
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    title = forms.CharField(label="职务", max_length=64, required=False)

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, Role(r).label) for r in roles]


class ProfileForm(Form):
    full_name = forms.CharField(label="姓名", max_length=64)
    phone = MobileField()
    email = forms.EmailField(
        label="电子邮箱", required=False, error_messages={"invalid": "电子邮箱格式不正确。"}
    )


class PasswordChangeForm(Form):
    old_password = forms.CharField(
        label="当前密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label="新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label="再次输入新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("当前密码不正确。")
        return value

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", "两次输入的新密码不一致。")
        # The password rules (strength, history) are accounts.services.change_password's.
        return cleaned


class ImportForm(Form):
    file = forms.FileField(
        label="xlsx 文件", error_messages={"required": "请选择要导入的 .xlsx 文件。"}
    )
