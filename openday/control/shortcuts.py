"""What the staff views share: the sign-in check, form errors from a ValidationError, file
downloads and their content types. A helper two view modules need lives here, not in one of
them (no view module imports another's private names)."""

from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from openday.lib.validation import apply_to_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def staff_required(view):
    """Signed in, active, holding at least one role (or operator), password not expired."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('control:login')}?next={request.get_full_path()}")
        if not request.access.is_staff_member:
            raise PermissionDenied("您的账户尚未分配任何组织角色，请联系本单位管理员。")
        if request.user.must_change_password and view.__name__ not in ("password_change",):
            messages.info(request, "首次登录或密码已被重置，请先设置新密码。")
            return redirect("control:password_change")
        return view(request, *args, **kwargs)

    return wrapper


# Kept under the name the staff views use; the one implementation is in lib.validation.
apply_errors = apply_to_form


def download(data, content_type, filename):
    """A file to save, its name percent-encoded so Chinese names survive every browser."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
