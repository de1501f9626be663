"""Staff pages: sign-in (password, then the second factor), the landing dashboard, the audit
log and one's own account with its authenticator."""

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openday.accounts import services as accounts
from openday.accounts.models import User
from openday.audit.models import ACTION_LABELS, AuditEntry
from openday.audit.services import record
from openday.events.tickets import qr_svg
from openday.lib import personal_data
from openday.lib.keyset import KeysetPage
from openday.orgs.models import Membership, Org, Role

from . import forms
from .shortcuts import staff_required

PAGE_SIZE = 50


def _next_url(request):
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("control:dashboard")


# --- Sign-in -----------------------------------------------------------------------------


# The password step passed for a person with a second factor: who, when, where to go next.
PENDING = "openday_2fa_pending"
PENDING_SECONDS = 300
# A new authenticator's secret (encrypted) between showing the QR code and its confirmation.
ENROL_SECRET = "openday_2fa_enrol"


def _refused(request, template, context, exc):
    response = render(request, template, context, status=exc.status)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def login_view(request):
    if request.user.is_authenticated and request.access.is_staff_member:
        return redirect("control:dashboard")
    form = forms.LoginForm(request.POST or None)
    context = {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "failure_limit": settings.LOGIN_FAILURE_LIMIT,
        "lock_minutes": settings.LOGIN_LOCK_MINUTES,
    }
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.check_password(
                form.cleaned_data["username"], form.cleaned_data["password"]
            )
        except accounts.SignInRefused as exc:
            form.add_error(None, str(exc))
            return _refused(request, "control/login.html", context, exc)
        if accounts.has_two_factor(user):
            request.session[PENDING] = {
                "user": user.pk,
                "at": time.time(),
                "next": _next_url(request),
            }
            return redirect("control:login_verify")
        accounts.sign_in(request, user)
        return redirect(_next_url(request))
    return render(request, "control/login.html", context, status=400 if form.errors else 200)


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending.get("next") or reverse("control:dashboard")


def login_verify(request):
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    user, next_url = _pending_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        messages.info(request, "请先输入用户名和密码。")
        return redirect("control:login")
    form = forms.SecondFactorForm(request.POST or None)
    context = {"form": form, "target": user}
    if request.method == "POST" and form.is_valid():
        try:
            factor = accounts.verify_second_factor(user, form.cleaned_data["code"])
        except accounts.SignInRefused as exc:
            form.add_error("code", str(exc))
            return _refused(request, "control/twofactor/verify.html", context, exc)
        request.session.pop(PENDING, None)
        accounts.sign_in(request, user, second_factor=factor)
        if factor == "recovery":
            left = accounts.remaining_recovery_codes(user)
            messages.warning(
                request,
                f"您使用了一个恢复码，还剩 {left} 个。如手机已丢失或更换，请在“我的账户”中重新绑定"
                "身份验证器，或请系统运维人员重置两步验证。",
            )
        return redirect(next_url)
    return render(
        request, "control/twofactor/verify.html", context, status=400 if form.errors else 200
    )


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        record(
            "auth.logout",
            actor=request.user,
            obj=request.user,
            org=accounts._home_org(request.user),
        )
    logout(request)
    messages.success(request, "您已安全退出。")
    return redirect("control:login")


# --- Landing -----------------------------------------------------------------------------


@staff_required
def dashboard(request):
    access = request.access
    cards = []
    for m in access.memberships:
        org = m.org
        subtree = Org.objects.filter(path__startswith=org.path)
        card = {"membership": m, "org": org}
        if m.role in (Role.OFFICE_ADMIN, Role.UNIT_ADMIN, Role.VIEWER, Role.UNIT_STAFF):
            card["counts"] = subtree.exclude(pk=org.pk).aggregate(
                units=Count("pk", filter=Q(kind=Org.Kind.UNIT)),
                departments=Count("pk", filter=Q(kind=Org.Kind.DEPARTMENT)),
                offices=Count("pk", filter=Q(kind=Org.Kind.OFFICE)),
            )
            card["people"] = (
                Membership.objects.filter(org__path__startswith=org.path)
                .values("user")
                .distinct()
                .count()
            )
        cards.append(card)
    from openday.campaigns.access import visible_campaigns
    from openday.messaging.models import Notification

    orgs_ids = [m.org_id for m in access.memberships]
    notices = Notification.objects.filter(org_id__in=orgs_ids).select_related("org")[:8]
    campaigns = (
        visible_campaigns(access)
        .exclude(status="closed")
        .select_related("office")
        .order_by("-year", "office__path")[:5]
    )
    recent = None
    if access.can_view_audit:
        recent = AuditEntry.objects.filter(access.audit_scope_q()).select_related("actor")[:8]
    from openday.orgs.todo import todo_for

    return render(
        request,
        "control/dashboard.html",
        {
            "todo": todo_for(access),
            "cards": cards,
            "recent": recent,
            "notices": notices,
            "campaigns": campaigns,
            "today": timezone.localdate(),
        },
    )


# --- Audit log ---------------------------------------------------------------------------


@staff_required
def audit_log(request):
    access = request.access
    if not access.can_view_audit:
        raise PermissionDenied("只有管理员可以查看审计日志。")
    qs = AuditEntry.objects.filter(access.audit_scope_q()).select_related("actor")
    action = request.GET.get("action", "")
    who = request.GET.get("who", "").strip()
    if action in ACTION_LABELS:
        qs = qs.filter(action=action)
    if who:
        qs = qs.filter(actor_label__icontains=who)
    page = KeysetPage(qs, request.GET, field="created_at", size=PAGE_SIZE)
    return render(
        request,
        "control/audit_log.html",
        {
            "page": page,
            "keyset": page,
            "actions": sorted(ACTION_LABELS.items()),
            "action": action,
            "who": who,
        },
    )


# --- Own account -------------------------------------------------------------------------


@staff_required
def account(request):
    user = request.user
    form = forms.ProfileForm(
        request.POST or None,
        initial={
            "full_name": user.full_name,
            "phone": user.phone,
            "email": user.email,
        },
    )
    if request.method == "POST" and form.is_valid():
        accounts.update_profile(user, user, **form.cleaned_data)
        messages.success(request, "个人信息已保存。")
        return redirect("control:account")
    tokens = user.api_tokens.filter(revoked_at=None).order_by("-created_at")
    enrolled = accounts.has_two_factor(user)
    return render(
        request,
        "control/account.html",
        {
            "form": form,
            "tokens": tokens,
            "two_factor": enrolled,
            "two_factor_required": accounts.two_factor_required(user, request.access.roles()),
            "recovery_left": accounts.remaining_recovery_codes(user) if enrolled else 0,
        },
    )


@staff_required
def password_change(request):
    form = forms.PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        from django.contrib.auth import update_session_auth_hash

        try:
            accounts.change_password(request.user, form.cleaned_data["new_password1"])
        except ValidationError as exc:  # the password rules: strength and history
            form.add_error("new_password1", exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改。")
            return redirect("control:dashboard")
    return render(
        request,
        "control/password_change.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@staff_required
def two_factor_enrol(request):
    """Bind an authenticator app: scan the QR code (or type the key), confirm with one code,
    then see the ten recovery codes once."""
    user = request.user
    secret = personal_data.decrypt(request.session.get(ENROL_SECRET, ""))
    if not secret or (request.method == "GET" and request.GET.get("new")):
        secret = accounts.new_secret()
        request.session[ENROL_SECRET] = personal_data.encrypt(secret)
    form = forms.EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = accounts.enrol_two_factor(user, secret, form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            request.session.pop(ENROL_SECRET, None)
            request.session[accounts.SESSION_VERIFIED] = True
            text = "开放日 恢复码（每个只能使用一次）\n用户名：" + user.username + "\n\n"
            text += "\n".join(codes) + "\n"
            return render(
                request,
                "control/twofactor/recovery_codes.html",
                {
                    "codes": codes,
                    "download": "data:text/plain;charset=utf-8," + quote(text),
                },
            )
    return render(
        request,
        "control/twofactor/enrol.html",
        {
            "form": form,
            "qr": qr_svg(accounts.provisioning_uri(user, secret)),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "enrolled": accounts.has_two_factor(user),
            "required": accounts.two_factor_required(user, request.access.roles()),
            "issuer": settings.OPENDAY_2FA_ISSUER,
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def token_revoke(request, token_id):
    """A person revokes one of their own API tokens (an admin deactivates the account instead)."""
    token = get_object_or_404(request.user.api_tokens, pk=token_id, revoked_at=None)
    accounts.revoke_token(request.user, token)
    messages.success(request, f"已吊销令牌 {token.prefix}…")
    return redirect("control:account")
