"""Public questionnaire pages: answering on a phone (inside WeChat too), the thank-you page.

The answer page is a plain HTML form that works without JavaScript; survey.js only adds live
show/hide of conditional questions and keeps a half-filled answer across reloads. The answering
device is remembered in a long-lived random cookie so that one phone answers once.
"""

import json
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from openday.audit.services import client_ip
from openday.events.models import GUEST_CATEGORIES
from openday.lib import validation
from openday.lib.edge import clean_post
from openday.ops import ratelimit
from openday.surveys import answers as checks
from openday.surveys import services
from openday.surveys.models import Response, Survey

DEVICE_COOKIE = "od_device"
DEVICE_MAX_AGE = 365 * 24 * 3600
_DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SCORE_CODES = range(0, checks.SCORE_MAX + 1)
RESPONDENT_LABELS = {
    "name": "姓名",
    "phone": "手机号码",
    "category": "参加人类别",
    "consent": "个人信息告知",
}


def _published(survey_id):
    return get_object_or_404(
        Survey.objects.exclude(status=Survey.Status.DRAFT).select_related("org", "event"),
        pk=survey_id,
    )


def survey_list(request):
    return render(request, "portal/survey_list.html", {"surveys": services.open_surveys()})


# --- The device cookie -------------------------------------------------------------------------


def _device(request):
    """(device id, whether it is new). A malformed cookie is replaced."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if _DEVICE_RE.match(value):
        return value, False
    return secrets.token_urlsafe(24), True


def _answered_from(survey, device):
    hashed = services.device_hash(device)
    return Response.objects.filter(survey_id=survey.pk, device_hash=hashed).exists()


def _with_device(response, device, new):
    if new:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


# --- Form <-> answers ----------------------------------------------------------------------------


def answers_from_post(defn, post):
    """The typed form as answers in the API's shape, keyed by question id; blanks left out."""
    answers = {}
    for q in defn["questions"]:
        kind, key = q["kind"], f"q{q['id']}"
        if kind == "section":
            continue
        if kind == "multiple":
            value = [v for v in post.getlist(key) if v.strip()]
        elif kind == "matrix":
            value = {}
            for r in range(1, len(q["rows"]) + 1):
                picked = post.get(f"{key}_r{r}", "").strip()
                if picked:
                    value[str(r)] = picked
        else:
            value = post.get(key, "")
        if value not in ("", [], {}):
            answers[q["id"]] = value
    return answers


def _choices(qid, codes_labels, picked, prefix=""):
    picked = {str(v) for v in picked}
    return [
        {
            "code": code,
            "label": label,
            "id": f"q{qid}{prefix}-{code}",
            "checked": str(code) in picked,
        }
        for code, label in codes_labels
    ]


def _condition_hint(cond, by_id):
    """“第3题选择“有”时作答” for a question shown only on an earlier answer."""
    target = by_id.get(cond.get("question"))
    if target is None:
        return ""
    values = cond.get("values") or []
    if target["kind"] == "score":
        picked = "、".join(str(v) for v in values) + " 分"
    else:
        labels = [
            target["options"][v - 1]
            for v in values
            if isinstance(v, int) and 1 <= v <= len(target["options"])
        ]
        picked = "或".join(f"“{label}”" for label in labels)
    return f"第{target['number']}题选择{picked}时作答"


def question_items(defn, values, errors):
    """The questions as the template draws them, with what was typed and each one's error."""
    items, by_id, number = [], {}, 0
    for q in defn["questions"]:
        item = dict(q)
        qid, kind = q["id"], q["kind"]
        if kind == "section":
            items.append(item)
            continue
        number += 1
        item["number"] = number
        value = values.get(qid)
        if kind in ("single", "rating", "multiple"):
            picked = value if isinstance(value, list) else [value] if value is not None else []
            item["choices"] = _choices(qid, enumerate(q["options"], 1), picked)
            item["first_input"] = f"q{qid}-1"
        elif kind == "score":
            item["choices"] = _choices(
                qid, ((c, str(c)) for c in SCORE_CODES), [] if value is None else [value]
            )
            item["first_input"] = f"q{qid}-0"
        elif kind == "matrix":
            value = value if isinstance(value, dict) else {}
            item["matrix"] = [
                {
                    "code": r,
                    "label": label,
                    "name": f"q{qid}_r{r}",
                    "choices": _choices(
                        qid,
                        enumerate(q["options"], 1),
                        [value[str(r)]] if str(r) in value else [],
                        f"-r{r}",
                    ),
                }
                for r, label in enumerate(q["rows"], 1)
            ]
            item["first_input"] = f"q{qid}-r1-1"
        else:
            item["text"] = value if isinstance(value, str) else ""
            item["first_input"] = f"q{qid}-text"
        if kind == "multiple":
            lo, hi = q["min_choices"], q["max_choices"]
            if lo and hi:
                item["limits"] = f"至少选{lo}项，最多选{hi}项" if lo != hi else f"请选{lo}项"
            elif lo:
                item["limits"] = f"至少选{lo}项"
            elif hi:
                item["limits"] = f"最多选{hi}项"
        if q["show_if"]:
            cond = q["show_if"]
            item["show_if_json"] = json.dumps(
                {"question": cond.get("question"), "values": cond.get("values") or []}
            )
            item["condition"] = _condition_hint(cond, by_id)
        item["error"] = errors.get(qid, "")
        hints = [q["help_text"], item.get("condition"), item.get("limits")]
        if kind in checks.TEXT_LIMITS:
            hints.append(f"不超过{q['max_length']}字")
        item["hints"] = [h for h in hints if h]
        item["describedby"] = " ".join(
            ([f"q{qid}-hint"] if item["hints"] else []) + ([f"q{qid}-err"] if item["error"] else [])
        )
        by_id[qid] = item
        items.append(item)
    return items


# --- Pages ---------------------------------------------------------------------------------------


def survey_answer(request, survey_id):
    survey = _published(survey_id)
    defn = services.get_definition(survey.pk)
    device, new_device = _device(request)
    context = {"survey": survey, "categories": GUEST_CATEGORIES, "fresh": True}
    status, limited = 200, None
    if not services.accepting(defn):
        context["closed"] = services.closed_message(defn)
    elif not new_device and _answered_from(survey, device):
        context["duplicate"] = "您已经提交过这份问卷，每人只需填写一次，感谢参与！"
    elif request.method == "POST":
        post, problems = clean_post(request.POST, single_line={"name", "phone", "category"})
        values = answers_from_post(defn, post)
        person = {
            "name": post.get("name", ""),
            "phone": post.get("phone", ""),
            "category": post.get("category", ""),
            "consent": post.get("consent") == "1",
        }
        question_errors, person_errors = {}, {}
        try:
            if problems:  # shown as the form's own errors, with the text cleaned
                raise ValidationError(problems)
            ratelimit.hit(("survey.address", client_ip(request)))
            services.submit_response(
                survey.pk, values, channel=Response.Channel.WEB, device_id=device, **person
            )
        except ratelimit.Limited as exc:
            # What was typed stays on the page; the person may send it again later.
            limited = exc
        except Survey.DoesNotExist:
            raise Http404 from None
        except services.Refused as exc:
            context["closed" if exc.code == "closed" else "duplicate"] = exc.message
        except ValidationError as exc:
            person_errors = validation.by_field(exc)
            try:  # the service stops at the respondent; show the answers' problems too
                checks.clean(defn, values)
            except checks.AnswerError as answer_exc:
                question_errors = answer_exc.errors
        except checks.AnswerError as exc:
            question_errors = exc.errors
        else:
            return _with_device(redirect("portal:survey_done", survey.pk), device, new_device)
        context["questions"] = question_items(defn, values, question_errors)
        if limited:
            status = 429
            context.update(
                fresh=False,
                person=person,
                person_errors={},
                summary=[{"href": "#survey-form", "label": "提交", "message": limited.message}],
            )
        elif person_errors or question_errors:
            status = 400
            context.update(
                fresh=False,
                person=person,
                person_errors=person_errors,
                summary=_summary(context["questions"], person_errors),
            )
    if "questions" not in context:
        context["questions"] = question_items(defn, {}, {})
    context.setdefault("person", {})
    response = render(request, "portal/survey_answer.html", context, status=status)
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return _with_device(response, device, new_device)


def _summary(items, person_errors):
    """The error list at the top of the page, in page order, each linking to its field."""
    out = [
        {"href": f"#f-{field}", "label": RESPONDENT_LABELS[field], "message": person_errors[field]}
        for field in RESPONDENT_LABELS
        if field in person_errors
    ]
    out += [
        {"href": "#survey-form", "label": "提交", "message": message}
        for field, message in person_errors.items()
        if field not in RESPONDENT_LABELS
    ]
    out += [
        {
            "href": f"#{item['first_input']}",
            "label": f"第{item['number']}题",
            "message": item["error"],
        }
        for item in items
        if item.get("error")
    ]
    return out


def survey_done(request, survey_id):
    survey = _published(survey_id)
    event = survey.event if survey.event and survey.event.status != "draft" else None
    return render(
        request,
        "portal/survey_done.html",
        {
            "survey": survey,
            "thanks": survey.thanks or services.DEFAULT_THANKS,
            "event": event,
        },
    )
