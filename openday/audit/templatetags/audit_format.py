from django import template

from openday.orgs.models import Org, Role

ROLE_LABELS = dict(Role.choices)
KIND_LABELS = dict(Org.Kind.choices)

register = template.Library()

FIELD_LABELS = {
    "name": "名称",
    "via": "经由",
    "file": "文件",
    "short_name": "简称",
    "kind": "类型",
    "parent": "上级",
    "region": "行政区划",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "email": "电子邮箱",
    "doc_code": "发文字号代字",
    "is_active": "启用",
    "code": "代码",
    "level": "级别",
    "role": "角色",
    "title": "职务",
    "user": "用户",
    "username": "用户名",
    "full_name": "姓名",
    "phone": "手机号",
    "prefix": "令牌前缀",
    "locked_until": "锁定至",
    "regions_created": "新建区划",
    "regions_updated": "更新区划",
    "orgs_created": "新建组织",
    "orgs_updated": "更新组织",
}


def _value(value, key=""):
    if key == "role" and value in ROLE_LABELS:
        return ROLE_LABELS[value]
    if key == "kind" and value in KIND_LABELS:
        return KIND_LABELS[value]
    if value is None or value == "":
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


@register.filter
def audit_changes(changes):
    """[(label, "old → new"), …] for an audit entry's changes."""
    rows = []
    for key, value in (changes or {}).items():
        label = FIELD_LABELS.get(key, key)
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            if old is None:
                text = _value(new, key)
            elif new is None:
                text = f"{_value(old, key)} → （删除）"
            else:
                text = f"{_value(old, key)} → {_value(new, key)}"
        else:
            text = _value(value, key)
        rows.append((label, text))
    return rows
