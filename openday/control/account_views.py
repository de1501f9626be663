"""Staff pages: sign-in, the landing dashboard, the audit log and one's own account."""

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openday.accounts import services as accounts
from openday.accounts.models import LoginThrottle
from openday.audit.models import ACTION_LABELS, AuditEntry
from openday.audit.services import record
from openday.lib import params as param
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


def login_view(request):
    if request.user.is_authenticated and request.access.is_staff_member:
        return redirect("control:dashboard")
    form = forms.LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.sign_in(request, form.cleaned_data["username"], form.cleaned_data["password"])
        except accounts.SignInRefused as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(_next_url(request))
    from django.conf import settings

    return render(
        request,
        "control/login.html",
        {
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "failure_limit": settings.LOGIN_FAILURE_LIMIT,
            "lock_minutes": settings.LOGIN_LOCK_MINUTES,
        },
        status=400 if form.errors else 200,
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
    from openday.opinions.models import Opinion

    mine = (
        Opinion.objects.filter(assignee=request.user, status__in=Opinion.OPEN_STATUSES)
        .select_related("unit")
        .order_by("due_date", "id")
    )
    return render(
        request,
        "control/dashboard.html",
        {
            "cards": cards,
            "recent": recent,
            "notices": notices,
            "campaigns": campaigns,
            "my_opinions": mine[:10],
            "my_opinion_count": mine.count(),
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
    page = Paginator(qs, PAGE_SIZE).get_page(param.page(request.GET.get("page")))
    return render(
        request,
        "control/audit_log.html",
        {
            "page": page,
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
    locked = LoginThrottle.objects.filter(username=user.username.lower()).first()
    return render(
        request, "control/account.html", {"form": form, "tokens": tokens, "throttle": locked}
    )


@staff_required
def password_change(request):
    form = forms.PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        from django.contrib.auth import update_session_auth_hash

        accounts.change_password(request.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, "密码已修改。")
        return redirect("control:dashboard")
    return render(request, "control/password_change.html", {"form": form})


@staff_required
@require_POST
def token_revoke(request, token_id):
    """A person revokes one of their own API tokens (an admin deactivates the account instead)."""
    token = get_object_or_404(request.user.api_tokens, pk=token_id, revoked_at=None)
    accounts.revoke_token(request.user, token)
    messages.success(request, f"已吊销令牌 {token.prefix}…")
    return redirect("control:account")
