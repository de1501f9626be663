"""Placeholders in drafts the product writes, and the one check that refuses them.

A generated draft (an article, a summary section, an answer) says what only a person knows with a
placeholder such as 【请补充：座谈交流中群众关注的问题】. Publishing, submitting or sending text
that still holds one is refused everywhere through `refuse_placeholders`, so no generator's prompt
reaches the public again (a news draft once went out holding "（本次活动尚未录入意见建议，请补充…）").
"""

import re

from django.core.exceptions import ValidationError

OPEN, CLOSE = "【", "】"

# 【…】 with a prompt inside, and the older （…请补充…） / （…请填写…） prompts drafts used to hold.
_PATTERNS = [
    re.compile(r"【[^【】\n]{0,80}】"),
    re.compile(r"[（(][^（）()\n]{0,80}?(?:请补充|请填写|待补充|待填写)[^（）()\n]{0,80}?[）)]"),
    re.compile(r"(?:×{2,}|＿{2,}|_{3,})"),
]


def placeholder(prompt: str) -> str:
    """A placeholder asking the person for `prompt`, e.g. 【请补充：参观的科室】."""
    return f"{OPEN}请补充：{prompt}{CLOSE}"


def find_placeholders(text: str | None) -> list[str]:
    """Every placeholder left in `text`, in order of appearance (empty when there is none)."""
    if not text:
        return []
    found: list[tuple[int, str]] = []
    for pattern in _PATTERNS:
        found += [(m.start(), m.group(0)) for m in pattern.finditer(text)]
    return [s for _pos, s in sorted(found)]


def placeholder_problem(text: str | None) -> str:
    """A Chinese reason naming the first placeholders, or '' when the text holds none."""
    left = find_placeholders(text)
    if not left:
        return ""
    shown = "、".join(dict.fromkeys(left[:3]))
    more = f"等{len(left)}处" if len(left) > 3 else ""
    return f"正文中还有待补充的内容：{shown}{more}。请改成实际情况后再提交。"


def refuse_placeholders(**texts: str | None) -> None:
    """Raise ValidationError {field: reason} for every field whose text still holds a placeholder."""
    errors = {
        name: problem for name, text in texts.items() if (problem := placeholder_problem(text))
    }
    if errors:
        raise ValidationError(errors)
