"""Checking answers against a survey's questions. Pure functions over a plain definition.

An answer arrives in the API's shape, keyed by question id:
  single, rating: the option code (1 = first option)      e.g. 2
  multiple:       a list of option codes                  e.g. [1, 3]
  score:          an integer 0–10                         e.g. 8
  text, textarea: a string
  matrix:         {row code: scale code}                  e.g. {"1": 2, "2": 1}
Paper forms and spreadsheets use short typed codes instead; `from_paper` turns them into that shape.
"""

import re

SCORE_MAX = 10
TEXT_LIMITS = {"text": 200, "textarea": 2000}


class AnswerError(Exception):
    """errors: {question id: reason in Chinese}; the first is also the message."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(next(iter(errors.values())))


def definition(survey, questions):
    """The survey as plain data: what validation, the API and the answer page need."""
    return {
        "id": survey.pk,
        "title": survey.title,
        "status": survey.status,
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "anonymous": survey.anonymous,
        "ask_category": survey.ask_category,
        "org_id": survey.org_id,
        "questions": [
            {
                "id": q.pk,
                "kind": q.kind,
                "title": q.title,
                "help_text": q.help_text,
                "required": q.required,
                "options": list(q.options or []),
                "rows": list(q.rows or []),
                "min_choices": q.min_choices,
                "max_choices": q.max_choices,
                "max_length": q.max_length or TEXT_LIMITS.get(q.kind),
                "show_if": q.show_if or None,
            }
            for q in questions
        ],
    }


def _code(value):
    """An option code from an int or a string of digits; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    return None


def _blank(value):
    return value is None or value == "" or value == [] or value == {}


def visible(question, picked):
    """Whether a question shows, given {question id: set of codes} of the visible ones before it."""
    cond = question.get("show_if")
    if not cond:
        return True
    codes = picked.get(cond.get("question"))
    if not codes:
        return False
    return bool(codes & {_code(v) for v in cond.get("values", [])})


def _check_one(q, value):
    """(rows to store, error). Rows are (row, choice, text) triples."""
    kind = q["kind"]
    n = len(q["options"])
    if kind in ("single", "rating"):
        c = _code(value)
        if c is None or not 1 <= c <= n:
            return None, f"请选择列出的选项之一（1–{n}）。"
        return [(None, c, "")], None
    if kind == "multiple":
        if not isinstance(value, (list, tuple)):
            value = [value]
        codes = [_code(v) for v in value]
        if any(c is None or not 1 <= c <= n for c in codes):
            return None, f"请选择列出的选项（1–{n}）。"
        if len(set(codes)) != len(codes):
            return None, "同一选项只能选一次。"
        if q["min_choices"] and len(codes) < q["min_choices"]:
            return None, f"请至少选择{q['min_choices']}项。"
        if q["max_choices"] and len(codes) > q["max_choices"]:
            return None, f"最多选择{q['max_choices']}项。"
        return [(None, c, "") for c in sorted(codes)], None
    if kind == "score":
        c = _code(value)
        if c is None or not 0 <= c <= SCORE_MAX:
            return None, "请打0到10之间的整数分。"
        return [(None, c, "")], None
    if kind in ("text", "textarea"):
        if not isinstance(value, str):
            return None, "请填写文字。"
        text = value.strip()
        limit = q["max_length"] or TEXT_LIMITS[kind]
        if len(text) > limit:
            return None, f"请不要超过{limit}字（现有{len(text)}字）。"
        return ([(None, None, text)] if text else []), None
    if kind == "matrix":
        if not isinstance(value, dict):
            return None, "请为每一行选择一项。"
        rows = q["rows"]
        out = []
        for key, v in value.items():
            r = _code(key)
            if r is None or not 1 <= r <= len(rows):
                return None, f"没有第{key}行。"
            if _blank(v):
                continue
            c = _code(v)
            if c is None or not 1 <= c <= n:
                return None, f"“{rows[r - 1]}”一行请选择列出的选项之一（1–{n}）。"
            out.append((r, c, ""))
        if q["required"] and len(out) < len(rows):
            done = {r for r, _, _ in out}
            missing = [rows[i] for i in range(len(rows)) if i + 1 not in done]
            return None, f"请为每一行选择一项，尚未选择：{'、'.join(missing)}。"
        return sorted(out), None
    return [], None


def clean(defn, answers):
    """Validate answers (a dict keyed by question id, as int or str) against the definition.

    Returns [(question id, row, choice, text)]. Answers to questions hidden by their condition
    are dropped. Raises AnswerError listing every problem, in question order.
    """
    if not isinstance(answers, dict):
        raise AnswerError({0: "答案格式不正确。"})
    given = {}
    for key, value in answers.items():
        qid = _code(key)
        if qid is not None:
            given[qid] = value
    known = {q["id"] for q in defn["questions"]}
    errors = {}
    picked = {}
    rows = []
    for q in defn["questions"]:
        if q["kind"] == "section":
            continue
        if not visible(q, picked):
            continue
        value = given.get(q["id"])
        if _blank(value) or (isinstance(value, str) and not value.strip()):
            if q["required"]:
                errors[q["id"]] = "请回答此题。"
            continue
        out, problem = _check_one(q, value)
        if problem:
            errors[q["id"]] = problem
            continue
        if not out and q["required"]:
            errors[q["id"]] = "请回答此题。"
            continue
        picked[q["id"]] = {c for r, c, _ in out if r is None and c is not None}
        rows.extend((q["id"], r, c, t) for r, c, t in out)
    for qid in sorted(set(given) - known):
        errors[qid] = f"问卷中没有编号为{qid}的题目。"
    if errors:
        raise AnswerError(errors)
    return rows


# --- Paper codes ------------------------------------------------------------------------------

_SPLIT = re.compile(r"[\s,，、;；/]+")


def _one_code(q, text):
    """A typed option number, or the option's label exactly as printed."""
    if text.isdecimal():
        return int(text)
    for i, label in enumerate(q["options"], 1):
        if text == label:
            return i
    raise ValueError(f"“{text}”不是本题的选项，请填写选项序号（1–{len(q['options'])}）。")


def from_paper(q, text):
    """A typed paper answer in the API's shape; '' means unanswered. Raises ValueError."""
    text = (text or "").strip()
    if not text:
        return ""
    kind = q["kind"]
    if kind in ("text", "textarea"):
        return text
    if kind in ("single", "rating"):
        return _one_code(q, text)
    if kind == "score":
        if not text.isdecimal():
            raise ValueError("请填写0到10之间的整数分。")
        return int(text)
    if kind == "multiple":
        parts = [p for p in _SPLIT.split(text) if p]
        # "135" on a question with at most nine options means 1, 3 and 5.
        if len(parts) == 1 and parts[0].isdecimal() and len(q["options"]) <= 9:
            parts = list(parts[0])
        return [_one_code(q, p) for p in parts]
    if kind == "matrix":
        parts = [p for p in _SPLIT.split(text) if p]
        if len(parts) == 1 and parts[0].isdecimal() and len(q["options"]) <= 9:
            parts = list(parts[0])
        if len(parts) > len(q["rows"]):
            raise ValueError(f"本题只有{len(q['rows'])}行，填写了{len(parts)}个答案。")
        return {str(i): _one_code(q, p) for i, p in enumerate(parts, 1) if p != "0"}
    return ""


def paper_hint(q):
    kind = q["kind"]
    if kind in ("single", "rating"):
        return f"填选项序号 1–{len(q['options'])}"
    if kind == "multiple":
        return "填所选序号，如 135 或 1,3,5"
    if kind == "score":
        return "填 0–10"
    if kind == "matrix":
        return f"每行一个序号，共{len(q['rows'])}行，如 " + "1" * len(q["rows"])
    return "照录原文"
