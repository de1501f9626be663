"""What the staff views share: the sign-in check, form errors from a ValidationError, file
downloads and their content types. A helper two view modules need lives here, not in one of
them (no view module imports another's private names)."""

from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from openday.accounts import services as accounts
from openday.lib.validation import apply_to_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# Views a person who must bind an authenticator may still open (sign-out is not staff_required).
TWO_FACTOR_GATE_OPEN = {"two_factor_enrol"}
# Views a person whose password must be changed may still open.
PASSWORD_GATE_OPEN = {"password_change", "two_factor_enrol"}


def staff_required(view):
    """Signed in, active, holding at least one role (or operator), second factor bound and used
    when required, password not expired."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('control:login')}?next={request.get_full_path()}")
        if not request.access.is_staff_member:
            raise PermissionDenied("您的账户尚未分配任何组织角色，请联系本单位管理员。")
        gate = _second_factor_gate(request, view.__name__)
        if gate is not None:
            return gate
        if view.__name__ not in PASSWORD_GATE_OPEN:
            if request.user.must_change_password:
                messages.info(request, "首次登录或密码已被重置，请先设置新密码。")
                return redirect("control:password_change")
            if accounts.password_expired(request.user):
                messages.info(request, "您的密码已过期，请先设置新密码。")
                return redirect("control:password_change")
        return view(request, *args, **kwargs)

    return wrapper


def _second_factor_gate(request, view_name):
    """A redirect when this session may not go on: a bound authenticator not used in this
    session (sign in again), or one required and not bound yet (bind it first)."""
    if request.session.get(accounts.SESSION_VERIFIED):
        return None
    user = request.user
    # Decided from the roles already loaded: no query for the staff who need no second factor
    # (an unverified session of theirs comes from signing in before they enrolled).
    if not accounts.two_factor_required(user, request.access.roles()):
        return None
    if accounts.has_two_factor(user):
        logout(request)
        messages.info(request, "请重新登录并输入身份验证器中的验证码。")
        return redirect(f"{reverse('control:login')}?next={request.get_full_path()}")
    if view_name in TWO_FACTOR_GATE_OPEN:
        return None
    messages.info(request, "您的账户须启用两步验证：请先用手机上的身份验证器完成绑定。")
    return redirect("control:two_factor_enrol")


# Kept under the name the staff views use; the one implementation is in lib.validation.
apply_errors = apply_to_form


def download(data, content_type, filename):
    """A file to save, its name percent-encoded so Chinese names survive every browser."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
