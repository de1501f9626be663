"""A survey's results, counted in the database.

Every figure comes from three grouped queries, whatever the number of responses:

1. answers grouped by (question, row, choice, category): option counts of every question, the
   category cross-tab (summed over the categories when not needed), the number of text answers,
   and the averages (a rating's mean is derived from its option counts);
2. COUNT(DISTINCT response) per question, only for multiple-choice questions and for matrices
   some respondents left (where a respondent has several answer rows, so counting rows would
   overcount people);
3. responses grouped by channel.

Answers carry copies of their response's category and channel, so none of this needs a join.
Rating options and matrix scales are listed best first: among n options, code i scores n + 1 - i
points (with five labels, 非常满意 = 5). Score questions store the 0–10 score itself.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F

from openday.events.models import GUEST_CATEGORIES

from .answers import SCORE_MAX
from .models import Answer, Question, Response
from .services import expand_pending

CHANNELS = {
    None: None,
    "online": [Response.Channel.WEB, Response.Channel.API],
    "paper": [Response.Channel.PAPER],
}
CHANNEL_LABELS = {"online": "网上填写（含接口）", "paper": "纸质录入"}
UNFILLED = "未填写"
CHOICE_KINDS = ("single", "multiple", "rating")


def percent(count, total):
    """count / total as a percentage, one decimal rounded half up; 0 when total is 0."""
    if not total:
        return 0.0
    value = Decimal(count * 100) / Decimal(total)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def mean(points, count):
    """points / count with two decimals rounded half up; None when count is 0."""
    if not count:
        return None
    value = Decimal(points) / Decimal(count)
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def rating_points(code, n):
    """The score of option `code` (1-based) among n options listed best first."""
    return n + 1 - code


def _channel_filter(channel):
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel filter: {channel!r}")
    return CHANNELS[channel]


def answerable_questions(survey):
    """Questions other than section headings, in order, each with its label "第N题"."""
    questions = [q for q in survey.questions.all() if q.kind != Question.Kind.SECTION]
    for n, q in enumerate(questions, 1):
        q.position_label = f"第{n}题"
    return questions


def _categories(present):
    """The cross-tab's columns: known categories in their usual order, then 未填写."""
    out = [{"code": code, "name": name} for code, name in GUEST_CATEGORIES if code in present]
    known = {code for code, _ in GUEST_CATEGORIES}
    out += [{"code": code, "name": code} for code in sorted(present - known - {""})]
    if "" in present:
        out.append({"code": "", "name": UNFILLED})
    return out


def _options(labels, counts, respondents, first_code=1):
    return [
        {
            "code": code,
            "label": label,
            "count": counts.get(code, 0),
            "percent": percent(counts.get(code, 0), respondents),
        }
        for code, label in enumerate(labels, first_code)
    ]


def compute(survey, *, channel=None):
    """The results of every answerable question; see the module docstring for the queries.

    channel: None for all responses, "online" (web and API) or "paper".
    """
    channels = _channel_filter(channel)
    expand_pending(survey.pk)
    questions = answerable_questions(survey)

    responses = Response.objects.filter(survey=survey)
    answers = Answer.objects.filter(survey=survey)
    if channels:
        responses = responses.filter(channel__in=channels)
        answers = answers.filter(channel__in=channels)

    by_channel = {c: 0 for c in Response.Channel.values}
    for row in responses.order_by().values("channel").annotate(n=Count("*")):
        by_channel[row["channel"]] = row["n"]

    # cells[question][(row, choice)][category] = count
    cells = defaultdict(lambda: defaultdict(dict))
    grouped = answers.order_by().values_list("question_id", "row", "choice", "category")
    for qid, row, choice, category, n in grouped.annotate(n=Count("*")):
        cells[qid][(row, choice)][category] = n

    total = sum(by_channel.values())
    distinct_ids = [q.pk for q in questions if _needs_distinct(q, cells.get(q.pk, {}), total)]
    distinct = dict.fromkeys(distinct_ids, 0)
    if distinct_ids:
        rows = (
            answers.filter(question_id__in=distinct_ids)
            .order_by()
            .values_list("question_id")
            .annotate(n=Count("response_id", distinct=True))
        )
        distinct.update(rows)

    return {
        "survey_id": survey.pk,
        "title": survey.title,
        "responses": total,
        "by_channel": by_channel,
        "questions": [
            _question(q, cells.get(q.pk, {}), distinct.get(q.pk, total)) for q in questions
        ],
    }


def _needs_distinct(q, cells, total):
    """Whether the question's respondents must be counted with COUNT(DISTINCT response).

    Always for multiple choice. A matrix's respondents lie between its busiest row's count and
    the number of responses; when those are equal (every response answered that row, as with a
    required matrix) the count is known without the costly query.
    """
    if q.kind == Question.Kind.MULTIPLE:
        return True
    if q.kind != Question.Kind.MATRIX:
        return False
    per_row = defaultdict(int)
    for (row, _choice), by_cat in cells.items():
        per_row[row] += sum(by_cat.values())
    return max(per_row.values(), default=0) != total


def _question(q, cells, distinct):
    """One question's figures from its {(row, choice): {category: count}} cells."""
    out = {"id": q.pk, "kind": q.kind, "title": q.title, "position_label": q.position_label}
    totals = {key: sum(by_cat.values()) for key, by_cat in cells.items()}
    if q.kind in Question.TEXT_KINDS:
        out["respondents"] = out["text_count"] = totals.get((None, None), 0)
        return out
    if q.kind == Question.Kind.MATRIX:
        return _matrix(q, out, totals, distinct)

    counts = {
        choice: n for (row, choice), n in totals.items() if row is None and choice is not None
    }
    if q.kind == Question.Kind.SCORE:
        labels = [f"{s}分" for s in range(SCORE_MAX + 1)]
        counts = {c: n for c, n in counts.items() if 0 <= c <= SCORE_MAX}
        respondents = sum(counts.values())
        out["respondents"] = respondents
        out["options"] = _options(labels, counts, respondents, first_code=0)
        out["average"] = mean(sum(c * n for c, n in counts.items()), respondents)
        return out

    labels = list(q.options or [])
    counts = {c: n for c, n in counts.items() if 1 <= c <= len(labels)}
    respondents = distinct if q.kind == Question.Kind.MULTIPLE else sum(counts.values())
    out["respondents"] = respondents
    out["options"] = _options(labels, counts, respondents)
    if q.kind == Question.Kind.RATING:
        n = len(labels)
        points = sum(rating_points(c, n) * k for c, k in counts.items())
        out["average"] = mean(points, sum(counts.values()))
    present = {cat for (row, choice), by_cat in cells.items() if choice in counts for cat in by_cat}
    categories = _categories(present)
    out["by_category"] = {
        "categories": categories,
        "counts": [
            [cells.get((None, code), {}).get(cat["code"], 0) for cat in categories]
            for code in range(1, len(labels) + 1)
        ],
    }
    return out


def _matrix(q, out, totals, distinct):
    scale = list(q.options or [])
    n = len(scale)
    rows = []
    all_points = all_count = 0
    for r, label in enumerate(q.rows or [], 1):
        counts = {c: k for (row, c), k in totals.items() if row == r and c and 1 <= c <= n}
        answered = sum(counts.values())
        points = sum(rating_points(c, n) * k for c, k in counts.items())
        all_points += points
        all_count += answered
        rows.append(
            {
                "code": r,
                "label": label,
                "respondents": answered,
                "options": _options(scale, counts, answered),
                "average": mean(points, answered),
            }
        )
    out["respondents"] = distinct
    out["rows"] = rows
    out["average"] = mean(all_points, all_count)
    return out


def text_answers(survey, question, *, channel=None):
    """The non-empty text answers to a question, newest first, as a lazy queryset of named rows
    (id, response_id, text, category, channel, submitted_at); slice it to paginate."""
    channels = _channel_filter(channel)
    expand_pending(survey.pk)
    qs = Answer.objects.filter(survey=survey, question=question).exclude(text="")
    if channels:
        qs = qs.filter(channel__in=channels)
    return (
        qs.annotate(submitted_at=F("response__submitted_at"))
        .order_by("-submitted_at", "-response_id")
        .values_list("id", "response_id", "text", "category", "channel", "submitted_at", named=True)
    )
