"""Prose written from an event's data: the announcement, the news article and the event summary
(openday.summaries.drafting) share these habits, so a generated text names its unit once in a
sentence, joins lists the Chinese way and never says the same sentence twice.

The survey satisfaction the article and the summary report is counted here as well: publicity
may not import summaries (tests/test_layers.py), and summaries.services.figures reads it from here.
"""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from openday.surveys import results

if TYPE_CHECKING:
    from openday.events.models import Event
    from openday.orgs.models import Org

# A sentence ends at 。！？ (several in a row, then any closing quote or bracket).
_SENTENCE = re.compile(r"[^。！？]*[。！？]+[”’」』）)]*|[^。！？]+$")
# What a title may hold between the unit's name and the rest ("××局：2026年…").
_TITLE_JOINERS = "：:—-·　 "
# How people of each guest category are called in a sentence ("…和群众代表").
PEOPLE = {
    "新闻媒体": "新闻媒体记者",
    "企业": "企业代表",
    "个体工商户": "个体工商户代表",
    "普通群众": "群众代表",
}
# A rating question's options listed best first: the two best count as satisfied.
SATISFIED_CODES = 2


# --- Sentences ----------------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    """The sentences of `text` (split after 。！？), blanks trimmed, empty ones left out."""
    return [s.strip() for s in _SENTENCE.findall(text or "") if s.strip()]


def _key(sentence: str) -> str:
    return "".join(sentence.split())


def no_repeats(paragraphs: Iterable[str], seen: set[str] | None = None) -> list[str]:
    """The paragraphs without any sentence said before, in them or in `seen` (which is updated,
    so several calls can share it). Lines inside a paragraph stay lines; a paragraph left with
    no sentence goes."""
    seen = set() if seen is None else seen
    out: list[str] = []
    for paragraph in paragraphs:
        lines: list[str] = []
        for line in paragraph.split("\n"):
            kept: list[str] = []
            for sentence in sentences(line):
                key = _key(sentence)
                if key in seen:
                    continue
                seen.add(key)
                kept.append(sentence)
            if kept:
                lines.append("".join(kept))
        if lines:
            out.append("\n".join(lines))
    return out


def said(*texts: str) -> set[str]:
    """The sentences of `texts`, as `no_repeats` remembers them."""
    return {_key(s) for text in texts for s in sentences(text)}


# --- Naming the unit once -----------------------------------------------------------------------


def unit_names(unit: "Org") -> list[str]:
    """The unit's full and short names, longest first (a short name may sit inside the full one)."""
    names = {unit.name.strip(), (unit.short_name or "").strip()}
    return sorted((n for n in names if n), key=len, reverse=True)


def mentions(text: str, unit: "Org") -> int:
    """How many times `text` names the unit (a short name inside the full name counts once)."""
    count = 0
    for name in unit_names(unit):
        count += text.count(name)
        text = text.replace(name, "\x00")
    return count


def event_name(unit: "Org", title: str) -> tuple[str, bool]:
    """(the title without the unit's name in front, whether what is left still names the unit).

    The naming rule puts the unit first ("××局2026年“政务公开主题日”活动"), so "××局举办" plus
    the rest of the title says the unit once.
    """
    title = title.strip()
    for name in unit_names(unit):
        if title.startswith(name):
            rest = title[len(name) :].lstrip(_TITLE_JOINERS)
            if rest:
                return rest, mentions(rest, unit) > 0
    return title, mentions(title, unit) > 0


def holds(unit: "Org", title: str, *, when: str = "", future: bool = False) -> str:
    """The clause "××局举办2026年…活动" (or "××局将于5月20日举办…") naming the unit once.

    When the title names the unit elsewhere than in front, the event is the subject
    ("走进××局…活动举行").
    """
    rest, named = event_name(unit, title)
    will = "将" if future else ""
    at = f"于{when}" if when else ""
    if named:
        return f"{title.strip()}{will}{at}举行"
    return f"{unit.name}{will}{at}举办{rest}"


def short_name(unit: "Org") -> str:
    """The unit as later sentences call it (its short name when it has one)."""
    return (unit.short_name or "").strip() or unit.name


# --- Lists and numbers --------------------------------------------------------------------------


def join_and(items: Sequence[str]) -> str:
    """Chinese "and": 甲 / 甲和乙 / 甲、乙和丙."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return "、".join(items[:-1]) + "和" + items[-1]


def join_list(items: Sequence[str]) -> str:
    """ "甲、乙、丙" (before 等, or a list that reads as one phrase)."""
    return "、".join(i for i in items if i)


def people(category_names: Sequence[str]) -> list[str]:
    """Guest categories as people are called in a sentence ("普通群众" → "群众代表")."""
    return [PEOPLE.get(name, name) for name in category_names]


def who(category_names: Sequence[str], most: int = 3) -> str:
    """The people of the categories in a sentence: "人大代表和群众代表", or past `most`
    categories "人大代表、政协委员等各界代表"."""
    names = people(category_names)
    if len(names) > most:
        return f"{join_list(names[:2])}等各界代表"
    return join_and(names)


def number(value: float | None) -> str:
    """3 → "3", 4.0 → "4", 66.7 → "66.7"; None → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def percent(value: float | None) -> str:
    return f"{number(value)}%" if value is not None else ""


def rate(part: int, whole: int) -> float | None:
    """part / whole as a percentage with one decimal (rounded half up), None when whole is 0."""
    return results.percent(part, whole) if whole else None


def day(moment: datetime) -> str:
    d = timezone.localtime(moment)
    return f"{d.year}年{d.month}月{d.day}日"


def numbered(points: Sequence[str]) -> list[str]:
    """Points as paragraphs "一是……", "二是……" (a single point stays as it is)."""
    if len(points) == 1:
        return list(points)
    digits = "一二三四五六七八九十"
    return [f"{digits[n] if n < 10 else n + 1}是{p}" for n, p in enumerate(points)]


# --- The satisfaction asked in the event's surveys ----------------------------------------------


def _satisfaction_questions(event: "Event") -> tuple[int, int, list[dict[str, Any]]]:
    """(surveys, responses, [one dict per rating question whose scale speaks of 满意])."""
    surveys = list(event.surveys.all())
    responses = 0
    items: list[dict[str, Any]] = []
    for survey in surveys:
        data = results.compute(survey)
        responses += data["responses"]
        for q in data["questions"]:
            if q["kind"] != "rating":
                continue
            labels = [o["label"] for o in q["options"]]
            if not any("满意" in label for label in labels):
                continue
            n = len(labels)
            rated = sum(o["count"] for o in q["options"])
            items.append(
                {
                    "title": q["title"],
                    "rated": rated,
                    "satisfied": sum(
                        o["count"] for o in q["options"] if o["code"] <= SATISFIED_CODES
                    ),
                    "points": sum(
                        results.rating_points(o["code"], n) * o["count"] for o in q["options"]
                    ),
                }
            )
    return len(surveys), responses, items


def survey_figures(event: "Event") -> dict[str, Any]:
    """Responses of the event's surveys and the satisfaction asked in their rating questions.

    Satisfaction counts the answers to rating questions whose scale speaks of 满意 (listed best
    first, see surveys.results): the rate is the share of the two best options, the score the
    mean points (5 = 非常满意).
    """
    surveys, responses, items = _satisfaction_questions(event)
    rated = sum(i["rated"] for i in items)
    satisfied = sum(i["satisfied"] for i in items)
    points = sum(i["points"] for i in items)
    return {
        "surveys": surveys,
        "responses": responses,
        "rated": rated,
        "satisfied": satisfied,
        "satisfaction_rate": results.percent(satisfied, rated) if rated else None,
        "satisfaction_score": results.mean(points, rated),
    }


def satisfaction_items(event: "Event") -> list[dict[str, Any]]:
    """Each satisfaction question answered: {"title", "rated", "satisfied", "rate"}."""
    _surveys, _responses, items = _satisfaction_questions(event)
    return [
        {
            "title": i["title"],
            "rated": i["rated"],
            "satisfied": i["satisfied"],
            "rate": results.percent(i["satisfied"], i["rated"]),
        }
        for i in items
        if i["rated"]
    ]
