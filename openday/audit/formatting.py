"""How an audit entry's changes read on the pages: every key a Chinese label, every value Chinese.

Entries keep what the services wrote (program keys such as `status`, choice values such as
`open`, booleans, ISO dates, lists and dicts), and old entries keep older shapes (values turned
into text with str(): "True", "['a', 'b']"). This module is the one place that turns them into
words; the audit table, the dashboard's 最近操作 and the opinion timeline all show its result.

A key is named, in this order, by: the action's own table (ACTION_KEY_LABELS), the Chinese
verbose_name of the field on the entry's model (object_type), KEY_LABELS (keys that are not
model fields, or fields without a Chinese verbose_name), the indicator catalogue, and finally a
field of the same name on another model of the same app, then of any app (old entries whose
object type says nothing about the key). A value is named by the field's choices, VALUE_LABELS,
or its type: 是/否, （空）, 2025年5月17日, a labelled list for a dict.
"""

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from .models import AuditEntry

EMPTY = "（空）"
REMOVED = "（删除）"
ARROW = " → "

# Keys that are not model fields, or are fields without a Chinese verbose_name (status, kind…).
# A model field's own Chinese verbose_name always wins over this table.
KEY_LABELS: dict[str, str] = {
    # accounts
    "username": "用户名",
    "full_name": "姓名",
    "phone": "手机号",
    "email": "电子邮箱",
    "prefix": "令牌前缀",
    "locked_until": "锁定至",
    "paused_until": "暂停仅凭密码登录至",
    "address": "来源地址",
    "second_factor": "第二步验证方式",
    "replaced": "替换原有绑定",
    "remaining": "剩余恢复码（个）",
    "via": "经由",
    "file": "文件",
    # orgs
    "name": "名称",
    "short_name": "简称",
    "kind": "类型",
    "parent": "上级",
    "region": "行政区划",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "doc_code": "发文字号代字",
    "is_active": "启用",
    "code": "代码",
    "level": "级别",
    "role": "角色",
    "title": "职务",
    "user": "用户",
    "regions_created": "新建区划（个）",
    "regions_updated": "更新区划（个）",
    "orgs_created": "新建组织（个）",
    "orgs_updated": "更新组织（个）",
    # campaigns, events, messaging
    "status": "状态",
    "source": "报名方式",
    "doc_number": "发文字号",
    "comment": "审核意见",
    "rows": "申报主题",
    "unit": "单位",
    "automatic": "自动提醒",
    "entries": "计划条目（条）",
    "problems": "需调整的条目（条）",
    "count": "人数",
    "messages": "消息（条）",
    "event": "活动",
    "campaign": "年度活动",
    "registrations": "匿名化的报名（条）",
    "invitations": "匿名化的邀请（条）",
    "callbacks": "匿名化的回访（条）",
    "opinions": "匿名化的意见建议（条）",
    "retention_days": "个人信息保存期限（天）",
    # evaluation
    "weights": "各项指标分值",
    "indicator": "指标",
    "points": "加减分",
    "reason": "理由",
    "revoked": "已撤销",
    "published": "已公布",
}

# Where a key means something else in one action than elsewhere.
ACTION_KEY_LABELS: dict[str, dict[str, str]] = {
    "plan.generated": {"capacity": "每月活动上限"},
    "membership.changed": {"title": "职务"},
    "membership.granted": {"title": "职务"},
    "membership.revoked": {"title": "职务"},
    "token.created": {"name": "令牌名称"},
    "evaluation.unpublished": {"reason": "撤回原因"},
    "evaluation.adjustment_revoked": {"reason": "撤销理由"},
}

# Values of keys that are not choice fields.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "second_factor": {"totp": "动态验证码", "recovery": "恢复码"},
}

# Keys whose value is one list, not a pair [before, after].
PLAIN_LISTS = frozenset({"修改内容"})

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_LITERALS = {"True": True, "False": False, "None": None}


@dataclass(frozen=True)
class Item:
    """One labelled line of a structured value."""

    label: str
    text: str


@dataclass(frozen=True)
class Change:
    """One key of an entry's changes, in words. items: a structured value, one line per part."""

    label: str
    text: str
    items: tuple[Item, ...] = ()

    @property
    def lines(self) -> str:
        """The change as text: the value, or one "label：value" line per item."""
        if not self.items:
            return self.text
        return "\n".join(f"{i.label}：{i.text}" for i in self.items)


@dataclass(frozen=True)
class _Context:
    model: type[models.Model] | None
    action: str


# --- Keys ----------------------------------------------------------------------------------


def _is_chinese(text: str) -> bool:
    return bool(text) and not text.isascii()


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        return None


def _own_field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) and field.concrete else None


@cache
def _fields_named(key: str) -> tuple[models.Field[Any, Any], ...]:
    """The project's concrete fields called key, in the order of the app registry."""
    found = []
    for model in apps.get_models():
        if model.__module__.startswith("openday."):
            field = _own_field(model, key)
            if field is not None:
                found.append(field)
    return tuple(found)


def _candidates(key: str, ctx: _Context) -> list[models.Field[Any, Any]]:
    """Fields that may be meant by key: the entry's model's, then its app's, then any."""
    own = _own_field(ctx.model, key)
    others = list(_fields_named(key))
    app = ctx.model._meta.app_label if ctx.model is not None else ""
    others.sort(key=lambda f: f.model._meta.app_label != app)
    return ([own] if own is not None else []) + [f for f in others if f is not own]


@cache
def _indicators() -> dict[str, Any]:
    from openday.evaluation import indicators

    return dict(indicators.BY_CODE)


def key_label(key: str, object_type: str = "", action: str = "") -> str:
    """The Chinese name of one key of an entry's changes."""
    return _key_label(str(key), _Context(_model(object_type), action))


def _key_label(key: str, ctx: _Context) -> str:
    if _is_chinese(key):
        return key
    override = ACTION_KEY_LABELS.get(ctx.action, {}).get(key)
    if override:
        return override
    own = _own_field(ctx.model, key)
    if own is not None and _is_chinese(str(own.verbose_name)):
        return str(own.verbose_name)
    if key in KEY_LABELS:
        return KEY_LABELS[key]
    indicator = _indicators().get(key)
    if indicator is not None:
        return str(indicator.label)
    for field in _candidates(key, ctx):
        if _is_chinese(str(field.verbose_name)):
            return str(field.verbose_name)
    return key


# --- Values --------------------------------------------------------------------------------


def _choice(value: object, key: str, ctx: _Context) -> str | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    named = VALUE_LABELS.get(key, {}).get(str(value))
    if named:
        return named
    if key == "indicator" and str(value) in _indicators():
        return str(_indicators()[str(value)].label)
    for field in _candidates(key, ctx):
        for choice, label in field.flatchoices:
            if choice == value:
                return str(label)
    return None


def _parsed(value: object) -> object:
    """Undo what older entries did to values: "True", "None", "['a', 'b']" become values again."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text in _LITERALS:
        return _LITERALS[text]
    if text[:1] in "[{(" and text[-1:] in "]})":
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return value
        if isinstance(parsed, list | dict | tuple):
            return list(parsed) if isinstance(parsed, tuple) else parsed
    return value


def _date_text(value: date) -> str:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def _number(value: object) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    text = f"{number.normalize():f}"
    return text


def _scalar(value: object, key: str, ctx: _Context) -> str:
    value = _parsed(value)
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if value is True:
        return "是"
    if value is False:
        return "否"
    label = _choice(value, key, ctx)
    if label is not None:
        return label
    if isinstance(value, datetime | date):
        return _date_text(value)
    if isinstance(value, float | Decimal):
        return _number(value)
    if isinstance(value, list):
        return "、".join(_scalar(v, key, ctx) for v in value)
    if isinstance(value, dict):
        return "；".join(
            f"{_key_label(str(k), ctx)}：{_scalar(v, str(k), ctx)}" for k, v in value.items()
        )
    text = str(value)
    if _DATE.match(text):
        try:
            return _date_text(date.fromisoformat(text))
        except ValueError:
            return text
    if _DATETIME.match(text):
        try:
            return _date_text(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return text
    return text


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return False
    try:
        return Decimal(str(value)).is_finite()
    except (InvalidOperation, ValueError):
        return False


def _indicator_value(value: object, code: str, ctx: _Context) -> str:
    """A weight ("15") or a weight and target (["15", "0.9"]) of one indicator."""
    value = _parsed(value)
    indicator = _indicators()[code]
    if isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value):
        weight, target = value
        return (
            f"分值 {_number(weight)} 分，满分标准 {indicator.format_target(Decimal(str(target)))}"
        )
    if _is_number(value):
        return f"{_number(value)} 分"
    return _scalar(value, code, ctx)


def _value(value: object, key: str, ctx: _Context) -> str:
    if key in _indicators():
        return _indicator_value(value, key, ctx)
    return _scalar(value, key, ctx)


def _is_structured(value: object) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(v, list | dict) for v in value)
    )


def _items(old: object, new: object, ctx: _Context) -> tuple[Item, ...]:
    """One line per key of a dict (or per element of a list of lists and dicts)."""
    old_map = _as_map(old)
    new_map = _as_map(new)
    items = []
    for key in list(dict.fromkeys([*old_map, *new_map])):
        label = _key_label(key, ctx)
        if old is None:
            text = _value(new_map.get(key), key, ctx)
        elif key not in new_map:
            text = f"{_value(old_map.get(key), key, ctx)}{ARROW}{REMOVED}"
        elif key not in old_map:
            text = f"{EMPTY}{ARROW}{_value(new_map[key], key, ctx)}"
        elif old_map[key] == new_map[key]:
            continue
        else:
            text = f"{_value(old_map[key], key, ctx)}{ARROW}{_value(new_map[key], key, ctx)}"
        items.append(Item(label, text))
    return tuple(items)


def _as_map(value: object) -> dict[str, object]:
    value = _parsed(value)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {f"第{n}项": v for n, v in enumerate(value, 1)}
    return {}


def _change(key: str, value: object, ctx: _Context) -> Change:
    label = _key_label(key, ctx)
    value = _parsed(value)
    if isinstance(value, list) and len(value) == 2 and key not in PLAIN_LISTS:
        old, new = (_parsed(v) for v in value)
        if _is_structured(old) or _is_structured(new):
            return Change(label, "", _items(old, new, ctx) or (Item("内容", EMPTY),))
        if old is None:
            return Change(label, _value(new, key, ctx))
        if new is None:
            return Change(label, f"{_value(old, key, ctx)}{ARROW}{REMOVED}")
        return Change(label, f"{_value(old, key, ctx)}{ARROW}{_value(new, key, ctx)}")
    if _is_structured(value):
        return Change(label, "", _items(None, value, ctx) or (Item("内容", EMPTY),))
    return Change(label, _value(value, key, ctx))


def describe(
    changes: Mapping[str, object] | None, object_type: str = "", action: str = ""
) -> list[Change]:
    """An entry's changes in words, key by key, in the order they were stored."""
    ctx = _Context(_model(object_type), action)
    return [_change(str(key), value, ctx) for key, value in (changes or {}).items()]


def describe_entry(entry: "AuditEntry") -> list[Change]:
    return describe(entry.changes, entry.object_type, entry.action)


def pairs(changes: Iterable[Change]) -> list[tuple[str, str]]:
    """[(label, text)] with a structured value as several lines of text."""
    return [(c.label, c.lines) for c in changes]
