"""Staff pages: the organization tree, its people and roles, and the regions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openday.accounts import services as accounts
from openday.accounts.models import User
from openday.audit.models import AuditEntry
from openday.lib import params as param
from openday.lib.spreadsheet import upload_problem
from openday.orgs import services as orgs
from openday.orgs.access import access_org
from openday.orgs.models import Membership, Org, Region, Role, region_paths
from openday.orgs.tree_xlsx import export_workbook, import_workbook, template_workbook

from . import forms
from .shortcuts import XLSX, apply_errors, staff_required

PAGE_SIZE = 50


# --- Organizations -----------------------------------------------------------------------


@staff_required
def org_list(request):
    access = request.access
    qs = access.visible_orgs().select_related("region").annotate(member_count=Count("memberships"))
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q))
    if kind in Org.Kind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs.order_by("path"), PAGE_SIZE).get_page(param.page(request.GET.get("page")))
    top = min((o.depth for o in page), default=1)
    return render(
        request,
        "control/org_list.html",
        {
            "page": page,
            "q": q,
            "kind": kind,
            "kinds": Org.Kind.choices,
            "top_depth": top,
            "can_import": access.can_import_orgs(),
            "can_export": access.has_role(Role.OFFICE_ADMIN, Role.UNIT_ADMIN),
        },
    )


@staff_required
def org_detail(request, org_id):
    org = access_org(request, org_id)
    access = request.access
    can_manage = access.can_manage_org(org)
    members = org.memberships.select_related("user").order_by("role", "user__username")
    children = org.children.order_by("name")
    ancestors = Org.objects.filter(pk__in=org.ancestor_ids()).exclude(pk=org.pk).order_by("path")
    crumbs = [(a, access.can_see_org(a)) for a in ancestors]
    return render(
        request,
        "control/org_detail.html",
        {
            "org": org,
            "members": members,
            "children": children,
            "crumbs": crumbs,
            "can_manage": can_manage,
            "show_phone": access.can_see_full_phone(org),
        },
    )


def _org_form_parents(access, org=None):
    qs = access.managed_orgs().filter(
        kind__in=[Org.Kind.OFFICE, Org.Kind.UNIT, Org.Kind.DEPARTMENT]
    )
    if org is not None:
        qs = qs.exclude(path__startswith=org.path)
        if org.parent_id:
            qs = qs | Org.objects.filter(pk=org.parent_id)
    return qs.order_by("path").distinct()


@staff_required
def org_create(request):
    access = request.access
    parent = None
    if request.GET.get("parent"):
        parent = access_org(request, param.object_id(request.GET["parent"]), manage=True)
    elif not access.managed_orgs().exists():
        raise PermissionDenied("您无权新建组织。")
    default_kind = {
        Org.Kind.OFFICE: Org.Kind.UNIT,
        Org.Kind.UNIT: Org.Kind.DEPARTMENT,
        Org.Kind.DEPARTMENT: Org.Kind.DEPARTMENT,
    }
    initial = {"is_active": True}
    if parent is not None:
        initial.update(parent=parent, kind=default_kind[parent.kind], region=parent.region)
    form = forms.OrgForm(request.POST or None, initial=initial, parents=_org_form_parents(access))
    if request.method == "POST" and form.is_valid():
        try:
            org = orgs.create_org(access, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("parent", str(exc))
        else:
            messages.success(request, f"已新建“{org.name}”。")
            return redirect("control:org_detail", org.pk)
    return render(request, "control/org_form.html", {"form": form, "org": None, "parent": parent})


@staff_required
def org_edit(request, org_id):
    org = access_org(request, org_id, manage=True)
    access = request.access
    initial = {f: getattr(org, f) for f in orgs.ORG_FIELDS}
    form = forms.OrgForm(
        request.POST or None, initial=initial, parents=_org_form_parents(access, org)
    )
    if request.method == "POST" and form.is_valid():
        try:
            orgs.update_org(access, org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存。")
            return redirect("control:org_detail", org.pk)
    return render(request, "control/org_form.html", {"form": form, "org": org})


@staff_required
def org_export(request):
    access = request.access
    if not access.has_role(Role.OFFICE_ADMIN, Role.UNIT_ADMIN):
        raise PermissionDenied("只有管理员可以导出组织架构。")
    data = export_workbook(access)
    response = HttpResponse(data, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''org-tree-{stamp}.xlsx"
    return response


@staff_required
def org_import_template(request):
    if not request.access.can_import_orgs():
        raise PermissionDenied("只有政务公开办管理员可以导入组织架构。")
    response = HttpResponse(template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''org-tree-template.xlsx"
    return response


@staff_required
def org_import(request):
    access = request.access
    if not access.can_import_orgs():
        raise PermissionDenied("只有政务公开办管理员可以导入组织架构。")
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        problem = upload_problem(upload)
        if problem:
            form.add_error("file", problem)
        else:
            result = import_workbook(access, upload.read())
            if result.ok:
                n = result.details
                messages.success(
                    request,
                    f"导入成功：新建行政区划 {n['regions_created']} 个、更新 {n['regions_updated']} 个；"
                    f"新建组织 {n['orgs_created']} 个、更新 {n['orgs_updated']} 个。",
                )
                return redirect("control:org_list")
    status = 400 if (form.errors or (result and not result.ok)) else 200
    return render(
        request, "control/org_import.html", {"form": form, "result": result}, status=status
    )


# --- Members and people ------------------------------------------------------------------


@staff_required
def member_add(request, org_id):
    org = access_org(request, org_id, manage=True)
    access = request.access
    roles = access.grantable_roles(org)
    form = forms.AddMemberForm(request.POST or None, roles=roles)
    created_password = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = User.objects.filter(username=data["username"].strip()).first()
        try:
            if user is None:
                if not data["full_name"].strip():
                    raise ValidationError({"full_name": "新建账户时请填写姓名。"})
                from django.db import transaction

                with transaction.atomic():
                    user, created_password = accounts.create_user(
                        request.user,
                        username=data["username"].strip(),
                        full_name=data["full_name"].strip(),
                        phone=data["phone"],
                    )
                    orgs.grant_role(access, org, user, data["role"], title=data["title"])
            else:
                if not access.can_manage_user(user):
                    raise ValidationError(
                        {
                            "username": (
                                f"用户名“{user.username}”已被其他单位使用，您不能为该账户分配角色。"
                                "请换一个用户名新建账户，或请上级管理员处理。"
                            )
                        }
                    )
                orgs.grant_role(access, org, user, data["role"], title=data["title"])
        except ValidationError as exc:
            apply_errors(form, exc)
            created_password = None
        except PermissionDenied as exc:
            form.add_error("role", str(exc))
            created_password = None
        else:
            if created_password:
                return render(
                    request,
                    "control/password_shown.html",
                    {
                        "target": user,
                        "password": created_password,
                        "org": org,
                        "created": True,
                    },
                )
            messages.success(request, f"已为 {user} 授予“{Role(data['role']).label}”角色。")
            return redirect("control:org_detail", org.pk)
    return render(request, "control/member_form.html", {"form": form, "org": org})


def _access_membership(request, membership_id):
    membership = get_object_or_404(
        Membership.objects.select_related("org", "user"), pk=membership_id
    )
    if not request.access.can_manage_org(membership.org):
        raise PermissionDenied("您无权管理该角色。")
    return membership


@staff_required
def membership_edit(request, membership_id):
    membership = _access_membership(request, membership_id)
    access = request.access
    roles = access.grantable_roles(membership.org)
    form = forms.MembershipForm(
        request.POST or None,
        roles=roles,
        initial={"role": membership.role, "title": membership.title},
    )
    if request.method == "POST" and form.is_valid():
        try:
            orgs.change_role(
                access,
                membership,
                form.cleaned_data["role"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("role", str(exc))
        else:
            messages.success(request, "角色已更新。")
            return redirect("control:org_detail", membership.org_id)
    return render(request, "control/membership_form.html", {"form": form, "membership": membership})


@staff_required
@require_POST
def membership_remove(request, membership_id):
    membership = _access_membership(request, membership_id)
    try:
        orgs.revoke_role(request.access, membership)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已撤销 {membership.user} 在{membership.org.name}的角色。")
    return redirect("control:org_detail", membership.org_id)


def _access_user(request, user_id):
    target = get_object_or_404(User, pk=user_id)
    if not request.access.can_manage_user(target):
        raise PermissionDenied("您无权管理该账户。")
    return target


@staff_required
def user_detail(request, user_id):
    target = _access_user(request, user_id)
    memberships = target.memberships.select_related("org").order_by("org__path")
    locked_until = accounts.lock_state(target.username)
    events = AuditEntry.objects.filter(
        Q(actor=target) | Q(object_type="accounts.user", object_id=str(target.pk))
    ).select_related("actor")[:20]
    paused = target.password_signin_paused_until
    return render(
        request,
        "control/user_detail.html",
        {
            "target": target,
            "memberships": memberships,
            "locked_until": locked_until,
            "locked_addresses": accounts.locked_addresses(target.username),
            "paused_until": paused if paused and paused > timezone.now() else None,
            "two_factor": accounts.has_two_factor(target),
            "two_factor_required": accounts.two_factor_required(
                target, {m.role for m in memberships}
            ),
            "can_reset_two_factor": _can_reset_two_factor(request, target),
            "events": events,
            "is_self": target.pk == request.user.pk,
        },
    )


def _can_reset_two_factor(request, target):
    """Operators, and office admins over every org the person belongs to: a unit admin, who
    may reset a password, must not also remove the second factor and so take the account."""
    access = request.access
    if access.is_operator:
        return True
    orgs = [m.org for m in target.memberships.select_related("org")]
    return bool(orgs) and all(access.is_office_admin_over(org) for org in orgs)


@staff_required
@require_POST
def user_action(request, user_id, action):
    target = _access_user(request, user_id)
    if target.pk == request.user.pk:
        raise PermissionDenied("不能对自己的账户执行此操作。")
    if target.is_superuser and not request.user.is_superuser:
        raise PermissionDenied("不能管理系统运维人员的账户。")
    if action == "reset-password":
        password = accounts.reset_password(request.user, target)
        return render(
            request,
            "control/password_shown.html",
            {
                "target": target,
                "password": password,
                "created": False,
            },
        )
    if action == "reset-2fa":
        if not _can_reset_two_factor(request, target):
            raise PermissionDenied("只有系统运维人员和上级政务公开办管理员可以重置两步验证。")
        accounts.reset_two_factor(request.user, target)
        messages.success(
            request, f"已重置 {target} 的两步验证，对方下次登录时须重新绑定身份验证器。"
        )
    elif action == "unlock":
        accounts.unlock_user(request.user, target)
        messages.success(request, f"已解除 {target} 的登录锁定。")
    elif action == "deactivate":
        accounts.set_active(request.user, target, False)
        messages.success(request, f"已停用 {target} 的账户。")
    elif action == "activate":
        accounts.set_active(request.user, target, True)
        messages.success(request, f"已启用 {target} 的账户。")
    else:
        raise PermissionDenied("未知操作。")
    return redirect("control:user_detail", target.pk)


# --- Regions -----------------------------------------------------------------------------


@staff_required
def region_list(request):
    paths = region_paths()
    editable = request.access.managed_region_ids(paths)
    qs = Region.objects.annotate(org_count=Count("orgs"))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    rows = []
    for r in qs:
        r.path_name = " > ".join(n.name for n in paths[r.pk])
        r.can_edit = r.pk in editable
        rows.append(r)
    rows.sort(key=lambda r: [(n.code or "~", n.name) for n in paths[r.pk]])
    page = Paginator(rows, PAGE_SIZE).get_page(param.page(request.GET.get("page")))
    return render(
        request,
        "control/region_list.html",
        {
            "page": page,
            "q": q,
            "can_manage": request.access.can_manage_regions(),
        },
    )


@staff_required
def region_form(request, region_id=None):
    access = request.access
    if not access.can_manage_regions():
        raise PermissionDenied("只有政务公开办管理员可以维护行政区划。")
    region = get_object_or_404(Region, pk=region_id) if region_id else None
    if region is not None and not access.can_manage_region(region):
        raise PermissionDenied(f"“{region.name}”不在本办所辖区划范围内。")
    initial = (
        {"name": region.name, "code": region.code, "level": region.level, "parent": region.parent}
        if region
        else {}
    )
    parent_ids = access.managed_region_ids(region_paths())
    if region is not None:
        parent_ids.discard(region.pk)
        if region.parent_id:
            parent_ids.add(region.parent_id)
    parents = Region.objects.filter(pk__in=parent_ids)
    form = forms.RegionForm(request.POST or None, initial=initial, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            orgs.save_region(access, instance=region, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("parent", str(exc))
        else:
            messages.success(request, "行政区划已保存。")
            return redirect("control:region_list")
    return render(request, "control/region_form.html", {"form": form, "region": region})
