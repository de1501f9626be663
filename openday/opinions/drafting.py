"""Answer drafts and reference answers for the people who answer opinions.

`answer_drafts(opinion)` writes, for each adoption decision (采纳情况), a complete reply in the
register of a government answer, filled with what the record already says: how the submitter is
addressed (by category, never by name or phone), when and where the opinion came in, a short
quote of it, the responsible unit, the due date, the rectification steps recorded so far and the
unit's contact phone. What only the handler knows (the concrete measure, the reason for not
adopting) is a placeholder, 【请补充：…】, that `services.answer` refuses until it is replaced.

`similar_answers(opinion, access)` finds up to three reviewed answers of the same office to
similar opinions, as references (published ones, and approved ones the viewer may see).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from openday.lib.placeholders import find_placeholders, placeholder

from .models import Opinion, RectificationStep

if TYPE_CHECKING:
    from openday.orgs.access import Access
    from openday.orgs.models import Org

D = Opinion.Decision
QUOTE_CHARS = 40
SIMILAR_CANDIDATES = 500
SIMILAR_TOP = 3
SIMILAR_MIN_SCORE = 0.1

# How the reply addresses the submitter, by category: never by name.
ADDRESS = {
    "deputy": "尊敬的人大代表",
    "member": "尊敬的政协委员",
    "expert": "尊敬的专家学者",
    "media": "尊敬的媒体朋友",
    "business": "尊敬的企业朋友",
    "trader": "尊敬的个体工商户朋友",
    "model": "尊敬的劳模代表",
}
DEFAULT_ADDRESS = "尊敬的群众朋友"

# Where it came in, when it was not raised at an event.
CHANNEL: dict[str, str] = {
    "forum": "在座谈会上",
    "survey": "通过调查问卷",
    "online": "通过网上留言",
    "api": "通过网上渠道",
    "phone": "通过电话",
    "paper": "通过意见卡（来信）",
}
ORDINALS = "一二三四五六七八九十"

# Prompts for what only the handler knows (the tests and the docs name them).
ASK_MEASURE = "采纳后的具体措施和完成时间"
ASK_PART_ADOPTED = "采纳的内容"
ASK_PART_REFUSED = "暂未采纳的内容及原因"
ASK_REASON = "未采纳的理由（政策依据或客观条件）"
ASK_SOLVED = "问题解决的经过和结果"
HANDLER_PROMPTS = (ASK_MEASURE, ASK_PART_ADOPTED, ASK_PART_REFUSED, ASK_REASON, ASK_SOLVED)

_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[。．.！!？?；;，,、：:\s]+$")


def _defuse(text: str) -> str:
    """The submitter's or a record's own words, made unable to pass for a placeholder (a
    citizen writing ××小区 or 【急】 must not block the answer that quotes them)."""
    text = text.replace("【", "〔").replace("】", "〕")
    text = re.sub(r"×{2,}", "某", text)
    text = re.sub(r"＿{2,}|_{3,}", "……", text)
    for found in find_placeholders(text):  # the older （…请填写…） prompts
        text = text.replace(found, "")
    return text


def _day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def quote_of(opinion: Opinion, limit: int = QUOTE_CHARS) -> str:
    """A short quote: the public summary, or the start of the content, on one line."""
    text = _TRAILING.sub("", _SPACES.sub(" ", _defuse(opinion.summary or opinion.content)).strip())
    if len(text) <= limit:
        return text
    cut = text[: limit - 2]
    # End at the last full sentence when it keeps at least half of what fits.
    ends = [cut.rfind(mark) for mark in "。！？!?；;"]
    if max(ends) >= limit // 2:
        cut = cut[: max(ends)]
    return _TRAILING.sub("", cut) + "……"


def address_of(opinion: Opinion) -> str:
    if opinion.anonymous:
        return DEFAULT_ADDRESS
    return ADDRESS.get(opinion.category, DEFAULT_ADDRESS)


def _where(opinion: Opinion) -> str:
    if opinion.event is not None:
        title = _defuse(opinion.event.title.strip())
        return f"在{title}中" if title.endswith("活动") else f"在“{title}”活动中"
    return CHANNEL.get(opinion.source, "")


def _steps_text(steps: list[RectificationStep]) -> str:
    """一是……，计划于…前完成；二是……，已于…完成。"""
    parts = []
    for n, step in enumerate(steps):
        label = f"{ORDINALS[n]}是" if n < len(ORDINALS) else f"第{n + 1}项，"
        what = _TRAILING.sub("", _defuse(step.description.strip()))
        if step.done_date is not None:
            when = f"已于{_day(step.done_date)}完成"
        else:
            when = f"计划于{_day(step.planned_date)}前完成"
        parts.append(f"{label}{what}，{when}")
    return "；".join(parts) + "。"


@dataclass(frozen=True)
class _Facts:
    address: str
    opening: str
    unit: str
    steps: list[RectificationStep]
    due: str
    phone: str


def _facts(opinion: Opinion) -> _Facts:
    org: Org = opinion.unit or opinion.office
    received = _day(opinion.received_at)
    opening = f"您于{received}{_where(opinion)}提出的“{quote_of(opinion)}”的意见收悉。"
    return _Facts(
        address=address_of(opinion),
        opening=opening,
        unit=_defuse(org.name.strip()),
        steps=list(opinion.steps.all()),
        due=_day(opinion.due_date) if opinion.due_date else "",
        phone=org.contact_phone.strip(),
    )


def _adopted(f: _Facts) -> list[str]:
    lines = [f"{f.unit}高度重视，经研究，认为您的建议符合工作实际，予以采纳。"]
    if f.steps:
        lines.append("目前已明确以下整改措施：" + _steps_text(f.steps))
    else:
        lines.append(f"下一步，我们将{placeholder(ASK_MEASURE)}。")
    if f.due:
        lines.append(f"我们将于{f.due}前将办理进展向社会公开，欢迎您继续监督。")
    return lines


def _partly(f: _Facts) -> list[str]:
    lines = [
        f"{f.unit}高度重视，经研究，对您的建议予以部分采纳。",
        f"对于{placeholder(ASK_PART_ADOPTED)}，我们予以采纳"
        + ("，具体措施如下：" + _steps_text(f.steps) if f.steps else "，并将尽快落实。"),
        f"对于{placeholder(ASK_PART_REFUSED)}，目前暂不具备实施条件，我们将在今后工作中统筹研究。",
    ]
    if f.due:
        lines.append(f"采纳部分的落实进展将于{f.due}前向社会公开，欢迎您继续监督。")
    return lines


def _explained(f: _Facts) -> list[str]:
    lines = [
        f"{f.unit}高度重视，经认真研究，您提出的建议目前暂不具备采纳条件。",
        f"主要原因是：{placeholder(ASK_REASON)}。",
    ]
    if f.steps:
        lines.append("针对您反映的情况，相关工作安排如下：" + _steps_text(f.steps))
    lines.append("我们将持续关注相关问题，待条件成熟时再作研究，恳请您理解。")
    return lines


def _solved(f: _Facts) -> list[str]:
    lines = [f"{f.unit}高度重视，经核实，您反映的问题已经解决。"]
    done = [step for step in f.steps if step.done_date is not None]
    if done:
        lines.append("具体办理情况如下：" + _steps_text(done))
    else:
        lines.append(f"具体情况是：{placeholder(ASK_SOLVED)}。")
    lines.append("今后我们将加强日常管理，防止类似问题再次发生。")
    return lines


BODIES = {D.ADOPTED: _adopted, D.PARTLY: _partly, D.EXPLAINED: _explained, D.SOLVED: _solved}


def _compose(f: _Facts, body: list[str]) -> str:
    closing = []
    if f.phone:
        closing.append(f"如有疑问，请与{f.unit}联系，联系电话：{f.phone}。")
    closing.append(f"感谢您对{f.unit}工作的关心和支持！")
    paragraphs = [f"{f.address}：", "您好！" + f.opening + "现答复如下：", *body, *closing]
    return "\n".join(paragraphs) + f"\n\n{f.unit}"


def answer_drafts(opinion: Opinion) -> dict[str, str]:
    """{decision code: a complete answer draft} for the four adoption decisions, in order."""
    facts = _facts(opinion)
    return {str(code): _compose(facts, BODIES[code](facts)) for code in D}


# --- Reference answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A reviewed answer to a similar opinion: what the answer form shows (no personal data)."""

    pk: int
    text: str
    decision: str
    decision_label: str
    answer: str
    unit: str
    answered: str
    score: float


def reference_candidates(opinion: Opinion, access: "Access") -> list[Opinion]:
    """The office's latest reviewed answers: published ones (public anyway) and approved ones
    the viewer may see; never another office's."""
    from .access import visible

    reviewed = Q(status=Opinion.Status.PUBLISHED) | Q(
        status=Opinion.Status.APPROVED, pk__in=visible(access).values("pk")
    )
    return list(
        Opinion.objects.filter(reviewed, office_id=opinion.office_id)
        .exclude(pk=opinion.pk)
        .exclude(answer="")
        .select_related("unit")
        .only("pk", "content", "summary", "answer", "decision", "answered_at", "unit__name")
        .order_by("-answered_at", "-id")[:SIMILAR_CANDIDATES]
    )


def similar_answers(opinion: Opinion, access: "Access", top: int = SIMILAR_TOP) -> list[Reference]:
    """Up to `top` reviewed answers of the same office to the opinions most like this one."""
    from openday.triage import similarity

    candidates = reference_candidates(opinion, access)
    if not candidates:
        return []
    found = similarity.similar(opinion.content, [c.content for c in candidates], top=top)
    refs = []
    for index, score in found:
        if score < SIMILAR_MIN_SCORE:
            continue
        c = candidates[index]
        refs.append(
            Reference(
                pk=c.pk,
                text=c.short,
                decision=c.decision,
                decision_label=c.get_decision_display(),
                answer=c.answer,
                unit=c.unit.name if c.unit else "",
                answered=_day(c.answered_at) if c.answered_at else "",
                score=round(score, 2),
            )
        )
    return refs
