"""Write paths for regions, organizations and roles.

check_* validate and raise ValidationError({field: message}) in Chinese; the others change
and record to the audit log inside one transaction.
"""

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from openday.audit.services import diff, record
from openday.lib.personal_data import is_phone, normalize_phone

from .models import ROLES_FOR_KIND, Membership, Org, Region, Role

if TYPE_CHECKING:
    from openday.accounts.models import User

    from .access import Access

DOC_CODE_RE = re.compile(r"^[\u4e00-\u9fff]{2,20}$")
CODE_LENGTH = {"province": 6, "city": 6, "county": 6, "town": 9, "village": 12}
# How many leading digits of a child's code repeat its parent's code.
PARENT_PREFIX = {"province": 2, "city": 4, "county": 6, "town": 9}
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    Org.Kind.OFFICE: {None, Org.Kind.OFFICE},
    Org.Kind.UNIT: {Org.Kind.OFFICE},
    Org.Kind.DEPARTMENT: {Org.Kind.UNIT, Org.Kind.DEPARTMENT},
}
KIND_PARENT_HINT: dict[str, str] = {
    Org.Kind.OFFICE: "政务公开办的上级只能是上级政务公开办，或不设上级",
    Org.Kind.UNIT: "单位的上级必须是政务公开办",
    Org.Kind.DEPARTMENT: "部门的上级必须是单位或部门",
}

ORG_FIELDS = [
    "name",
    "short_name",
    "kind",
    "parent",
    "region",
    "contact_name",
    "contact_phone",
    "email",
    "doc_code",
    "is_active",
]
REGION_FIELDS = ["name", "code", "level", "parent"]


def _audit_value(value: object) -> object:
    if isinstance(value, Org | Region):
        return str(value)
    return value


def _snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, object]:
    return {f: _audit_value(getattr(obj, f)) for f in fields}


def check_region(
    *,
    name: str | None,
    code: str | None,
    level: str,
    parent: Region | None,
    instance: Region | None = None,
) -> dict[str, Any]:
    errors = {}
    name = (name or "").strip()
    code = (code or "").strip()
    if not name:
        errors["name"] = "请填写行政区划名称。"
    if level not in Region.DEPTH:
        errors["level"] = "级别须为：省级、市级、县级、乡镇级、村级之一。"
    if code:
        if not (code.isascii() and code.isdecimal()):
            errors["code"] = "区划代码只能由数字组成。"
        elif level in CODE_LENGTH and len(code) != CODE_LENGTH[level]:
            errors["code"] = (
                f"{Region.Level(level).label}区划代码应为 {CODE_LENGTH[level]} 位数字。"
            )
        else:
            clash = Region.objects.filter(code=code)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            other = clash.first()
            if other is not None:
                errors["code"] = f"区划代码 {code} 已被“{other.name}”使用。"
    if parent is not None and level in Region.DEPTH:
        if Region.DEPTH[parent.level] >= Region.DEPTH[level]:
            errors["parent"] = (
                f"上级区划“{parent.name}”是{parent.get_level_display()}，"
                f"不能作为{Region.Level(level).label}的上级。"
            )
        elif code and parent.code and "code" not in errors:
            k = PARENT_PREFIX[parent.level]
            if code[:k] != parent.code[:k]:
                errors["code"] = f"区划代码 {code} 与上级“{parent.name}”（{parent.code}）不一致。"
        if instance is not None and _region_is_below(parent, instance):
            errors["parent"] = "不能把区划移到它自己的下级之下。"
    if name and "parent" not in errors:
        same = Region.objects.filter(parent=parent, name=name)
        if instance is not None:
            same = same.exclude(pk=instance.pk)
        if same.exists():
            errors["name"] = f"同一上级下已有名为“{name}”的区划。"
    if errors:
        raise ValidationError(errors)
    return {"name": name, "code": code, "level": level, "parent": parent}


def _region_is_below(node: Region | None, region: Region) -> bool:
    while node is not None:
        if node.pk == region.pk:
            return True
        node = node.parent
    return False


def check_region_access(
    access: "Access", *, instance: Region | None, parent: Region | None
) -> None:
    """Office admins keep the regions at or below their own office's region."""
    if not access.can_manage_regions():
        raise PermissionDenied("只有政务公开办管理员可以维护行政区划。")
    if instance is not None and not access.can_manage_region(instance):
        raise PermissionDenied(f"“{instance.name}”不在本办所辖区划范围内，不能修改。")
    if parent is None and not access.is_operator and (instance is None or instance.parent_id):
        raise PermissionDenied("只有系统运维人员可以新增或调整顶级区划。")
    moving = instance is None or parent != instance.parent
    if moving and parent is not None and not access.can_manage_region(parent):
        raise PermissionDenied(f"上级区划“{parent.name}”不在本办所辖范围内。")


def _office_org(access: "Access") -> Org | None:
    """The org an office admin's region changes are filed under in the audit log."""
    for m in access.memberships:
        if m.role == Role.OFFICE_ADMIN:
            return m.org
    return None


def save_region(actor: "User | Access", *, instance: Region | None = None, **fields: Any) -> Region:
    access = _access(actor)
    check_region_access(access, instance=instance, parent=fields.get("parent"))
    data = check_region(instance=instance, **fields)
    org = _office_org(access)
    with transaction.atomic():
        if instance is None:
            region = Region.objects.create(**data)
            record(
                "region.created",
                actor=access.user,
                obj=region,
                org=org,
                changes=diff({}, _snapshot(region, REGION_FIELDS)),
            )
            return region
        before = _snapshot(instance, REGION_FIELDS)
        for key, value in data.items():
            setattr(instance, key, value)
        instance.save()
        changes = diff(before, _snapshot(instance, REGION_FIELDS))
        if changes:
            record(
                "region.updated",
                actor=access.user,
                obj=instance,
                org=org,
                changes=changes,
            )
        return instance


def check_org(
    *,
    name: str | None,
    kind: str,
    parent: Org | None,
    short_name: str | None = "",
    region: Region | None = None,
    contact_name: str | None = "",
    contact_phone: str | None = "",
    email: str | None = "",
    doc_code: str | None = "",
    is_active: bool = True,
    instance: Org | None = None,
) -> dict[str, Any]:
    errors = {}
    name = (name or "").strip()
    doc_code = (doc_code or "").strip()
    contact_phone = normalize_phone(contact_phone or "")
    email = (email or "").strip()
    if not name:
        errors["name"] = "请填写组织名称。"
    elif len(name) > 100:
        errors["name"] = "组织名称不能超过 100 个字。"
    if kind not in Org.Kind.values:
        errors["kind"] = "类型须为：政务公开办、单位、部门之一。"
    else:
        parent_kind = parent.kind if parent is not None else None
        if parent_kind not in ALLOWED_PARENT_KINDS[kind]:
            errors["parent"] = KIND_PARENT_HINT[kind] + "。"
        if doc_code and kind != Org.Kind.OFFICE:
            errors["doc_code"] = "只有政务公开办需要设置发文字号代字。"
    if doc_code and "doc_code" not in errors and not DOC_CODE_RE.match(doc_code):
        errors["doc_code"] = "发文字号代字应为 2–20 个汉字，不含年份和序号，如“开政务公开办发”。"
    if contact_phone and not is_phone(contact_phone):
        errors["contact_phone"] = (
            "联系电话格式不正确：请填写 11 位手机号，或带区号的固定电话，如 0731-84390197。"
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "电子邮箱格式不正确。"
    if instance is not None and parent is not None and parent.path.startswith(instance.path):
        errors["parent"] = "不能把组织移到它自己或它的下级之下。"
    if instance is not None and kind != instance.kind and instance.children.exists():
        errors["kind"] = "该组织已有下级组织，不能更改类型。"
    if name and "parent" not in errors:
        same = Org.objects.filter(parent=parent, name=name)
        if instance is not None:
            same = same.exclude(pk=instance.pk)
        if same.exists():
            errors["name"] = f"同一上级下已有名为“{name}”的组织。"
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "kind": kind,
        "parent": parent,
        "short_name": (short_name or "").strip(),
        "region": region,
        "contact_name": (contact_name or "").strip(),
        "contact_phone": contact_phone,
        "email": email,
        "doc_code": doc_code,
        "is_active": is_active,
    }


def _access(actor: "User | Access") -> "Access":
    from .access import Access

    return actor if isinstance(actor, Access) else Access(actor)


def _set_path(org: Org) -> None:
    prefix = org.parent.path if org.parent is not None else ""
    org.path = f"{prefix}{org.pk:08d}/"
    Org.objects.filter(pk=org.pk).update(path=org.path)


def create_org(actor: "User | Access", **fields: Any) -> Org:
    """Create an org under a parent the actor manages (a root office needs an operator)."""
    access = _access(actor)
    parent = fields.get("parent")
    if parent is None and not access.is_operator:
        raise PermissionDenied("只有系统运维人员可以新建顶级组织。")
    if parent is not None and not access.can_manage_org(parent):
        raise PermissionDenied("您无权在该组织下新建下级组织。")
    data = check_org(**fields)
    with transaction.atomic():
        org = Org.objects.create(**data)
        _set_path(org)
        record(
            "org.created",
            actor=access.user,
            obj=org,
            changes=diff({}, _snapshot(org, ORG_FIELDS)),
        )
    return org


def update_org(actor: "User | Access", org: Org, **fields: Any) -> Org:
    access = _access(actor)
    if not access.can_manage_org(org):
        raise PermissionDenied("您无权修改该组织。")
    new_parent = fields.get("parent", org.parent)
    if new_parent != org.parent:
        # Moving needs authority over both ends.
        if new_parent is None and not access.is_operator:
            raise PermissionDenied("只有系统运维人员可以把组织设为顶级。")
        if new_parent is not None and not access.can_manage_org(new_parent):
            raise PermissionDenied("您无权把组织移到该上级之下。")
        if org.parent is not None and not access.can_manage_org(org.parent):
            raise PermissionDenied("您无权调整该组织的上级。")
    new_kind = fields.get("kind", org.kind)
    if new_kind != org.kind:
        if not (
            access.is_operator or (org.parent is not None and access.can_manage_org(org.parent))
        ):
            raise PermissionDenied("只有上级组织的管理员可以更改组织类型。")
        misfits = org.memberships.exclude(role__in=ROLES_FOR_KIND[new_kind])
        if misfits.exists():
            raise ValidationError(
                {"kind": "该组织现有人员的角色与新类型不符，请先调整这些人员的角色。"}
            )
    data = check_org(instance=org, **{**_snapshot_raw(org), **fields})
    with transaction.atomic():
        before = _snapshot(org, ORG_FIELDS)
        old_path = org.path
        for key, value in data.items():
            setattr(org, key, value)
        org.save()
        if org.parent_id != _parent_id_of_path(old_path):
            _set_path(org)
            # Re-root every descendant's path under the new one in a single statement.
            Org.objects.filter(path__startswith=old_path).exclude(pk=org.pk).update(
                path=Concat(Value(org.path), Substr(F("path"), len(old_path) + 1))
            )
        changes = diff(before, _snapshot(org, ORG_FIELDS))
        if changes:
            record("org.updated", actor=access.user, obj=org, changes=changes)
    return org


def _snapshot_raw(org: Org) -> dict[str, Any]:
    return {f: getattr(org, f) for f in ORG_FIELDS}


def _parent_id_of_path(path: str) -> int | None:
    parts = [p for p in path.split("/") if p]
    return int(parts[-2]) if len(parts) > 1 else None


def check_role(access: "Access", org: Org, role: str, user: "User") -> None:
    if role not in ROLES_FOR_KIND[org.kind]:
        raise ValidationError(
            {"role": f"{org.get_kind_display()}不能设置“{Role(role).label}”角色。"}
        )
    if role not in access.grantable_roles(org):
        raise PermissionDenied("您无权授予该角色。")
    if user.pk == access.user.pk and not access.is_operator:
        raise PermissionDenied("不能修改自己的角色，请联系其他管理员。")


def grant_role(
    actor: "User | Access", org: Org, user: "User", role: str, *, title: str = ""
) -> Membership:
    access = _access(actor)
    check_role(access, org, role, user)
    with transaction.atomic():
        existing = Membership.objects.select_for_update().filter(user=user, org=org).first()
        if existing is not None:
            raise ValidationError(
                {"user": f"{user} 在{org.name}已有角色“{existing.get_role_display()}”。"}
            )
        membership = Membership.objects.create(user=user, org=org, role=role, title=title)
        record(
            "membership.granted",
            actor=access.user,
            obj=membership,
            changes={"user": [None, user.username], "role": [None, role]},
        )
    return membership


def change_role(
    actor: "User | Access", membership: Membership, role: str, *, title: str | None = None
) -> Membership:
    access = _access(actor)
    check_role(access, membership.org, role, membership.user)
    if membership.role not in access.grantable_roles(membership.org):
        raise PermissionDenied("您无权变更该角色。")
    with transaction.atomic():
        before = {"role": membership.role, "title": membership.title}
        membership.role = role
        if title is not None:
            membership.title = title
        membership.save()
        changes = diff(before, {"role": membership.role, "title": membership.title})
        if changes:
            record(
                "membership.changed",
                actor=access.user,
                obj=membership,
                changes={"user": membership.user.username, **changes},
            )
    return membership


def revoke_role(actor: "User | Access", membership: Membership) -> None:
    access = _access(actor)
    if membership.role not in access.grantable_roles(membership.org):
        raise PermissionDenied("您无权撤销该角色。")
    if membership.user_id == access.user.pk and not access.is_operator:
        raise PermissionDenied("不能撤销自己的角色，请联系其他管理员。")
    with transaction.atomic():
        record(
            "membership.revoked",
            actor=access.user,
            obj=membership,
            changes={"user": [membership.user.username, None], "role": [membership.role, None]},
        )
        membership.delete()
