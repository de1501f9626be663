"""Write paths for questionnaires: building, opening and closing, answers online and on paper.

One answer per person: a response carries the keyed hash of the answering device (a cookie on the
answer page, `device_id` in the API) and, for a named survey, of the phone; unique constraints in
the database refuse the second one, so double clicks and retries never count twice.
"""

import hashlib
import hmac
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from openday.audit.services import diff, record
from openday.events.models import CATEGORY_NAMES
from openday.lib import personal_data
from openday.lib.personal_data import is_mobile, normalize_phone

from . import answers as checks
from .models import Answer, Question, Response, Survey
from .presets import PRESETS

if TYPE_CHECKING:
    from openday.accounts.models import User
    from openday.campaigns.models import Campaign
    from openday.events.models import Event
    from openday.orgs.models import Org

DEFAULT_CONSENT = (
    "本问卷为实名填写。我们收集您的姓名和手机号，仅用于核实答卷、回访和改进工作；"
    "手机号加密保存，活动结束后按规定期限删除，不用于其他用途。"
)
DEFAULT_THANKS = "提交成功，感谢您的参与！"
LOCKED = (
    "问卷已有答卷，题目结构不能再改动（题目和选项文字仍可修改）。如需调整结构，请复制为新问卷。"
)
# Staff edits drop the cached definition at once in a shared cache (Redis); a per-process cache
# cannot be reached from the process that made the edit, so there it only lives a few seconds.
SHARED_TTL, LOCAL_TTL = 300, 5


class Refused(Exception):
    """An answer the rules do not allow; code is one of the API's error codes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- The definition, cached ------------------------------------------------------------------


def _def_key(survey_id: int) -> str:
    return f"survey-def:{survey_id}"


def get_definition(survey_id: int) -> dict[str, Any]:
    """The survey's plain definition; cached, and dropped whenever staff change the survey."""
    defn = cache.get(_def_key(survey_id))
    if defn is None:
        survey = Survey.objects.get(pk=survey_id)
        defn = checks.definition(survey, survey.questions.all())
        cache.set(_def_key(survey_id), defn, SHARED_TTL if _shared_cache() else LOCAL_TTL)
    return defn


def _shared_cache() -> bool:
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def _changed(survey: Survey) -> None:
    cache.delete(_def_key(survey.pk))
    Survey.objects.filter(pk=survey.pk).update(updated_at=timezone.now())


def accepting(defn: Mapping[str, Any], now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        defn["status"] == Survey.Status.OPEN
        and not (defn["opens_at"] and now < defn["opens_at"])
        and not (defn["closes_at"] and now > defn["closes_at"])
    )


def closed_message(defn: Mapping[str, Any], now: datetime | None = None) -> str:
    now = now or timezone.now()
    if defn["status"] == Survey.Status.DRAFT:
        return "问卷尚未发布。"
    if defn["opens_at"] and now < defn["opens_at"]:
        local = timezone.localtime(defn["opens_at"]).strftime("%Y年%m月%d日 %H:%M")
        return f"问卷将于{local}开始填写，欢迎届时参与。"
    return "本问卷已结束收集，感谢您的关注。"


def open_surveys(now: datetime | None = None) -> QuerySet[Survey]:
    """Surveys the public may answer now, with their number of questions, newest first."""
    from django.db.models import Count, Q

    now = now or timezone.now()
    return (
        Survey.objects.filter(status=Survey.Status.OPEN)
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gte=now))
        .select_related("org")
        .annotate(question_count=Count("questions", filter=~Q(questions__kind="section")))
    )


# --- Surveys ---------------------------------------------------------------------------------

SURVEY_FIELDS = (
    "title",
    "intro",
    "thanks",
    "opens_at",
    "closes_at",
    "anonymous",
    "ask_category",
    "consent_text",
    "event",
    "campaign",
)


def check_survey(fields: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (fields.get("title") or "").strip():
        errors["title"] = "请填写问卷标题。"
    opens, closes = fields.get("opens_at"), fields.get("closes_at")
    if opens and closes and closes <= opens:
        errors["closes_at"] = "截止时间应晚于开始时间。"
    return errors


def _snapshot(survey: Survey) -> dict[str, str]:
    return {f: str(getattr(survey, f) or "") for f in (*SURVEY_FIELDS, "status")}


def create_survey(actor: "User", org: "Org", *, template: str = "", **fields: Any) -> Survey:
    """A draft survey for org, empty or copied from a preset."""
    preset: Mapping[str, Any] | None = PRESETS.get(template) if template else None
    if template and preset is None:
        raise ValidationError({"template": "没有这个问卷模板。"})
    if preset:
        preset = fit_preset(preset, fields.get("event"), fields.get("campaign"))
        fields.setdefault("title", preset["title"])
        fields.setdefault("intro", preset["intro"])
    errors = check_survey(fields)
    if errors:
        raise ValidationError(errors)
    fields = {k: v for k, v in fields.items() if k in SURVEY_FIELDS}
    fields.setdefault("thanks", DEFAULT_THANKS)
    if not fields.get("anonymous", True) and not fields.get("consent_text"):
        fields["consent_text"] = DEFAULT_CONSENT
    with transaction.atomic():
        survey = Survey.objects.create(org=org, created_by=actor, template=template, **fields)
        if preset:
            _copy_questions(survey, preset["questions"])
        record(
            "survey.create",
            actor=actor,
            obj=survey,
            changes={"模板": preset["name"] if preset else "空白问卷"},
        )
    return survey


def fit_preset(
    preset: Mapping[str, Any], event: "Event | None", campaign: "Campaign | None" = None
) -> Mapping[str, Any]:
    """The preset as the event needs it: its campaign's name for the day (政务公开主题日 or
    政府开放日, never the other one) and, in a matrix of the event's parts, only the parts
    the event has (its 活动形式), so nobody is asked to rate a part that did not take place."""
    campaign = campaign or (event.campaign if event is not None else None)
    day = campaign.get_kind_display() if campaign is not None else ""
    parts = [str(f) for f in (event.forms or [])] if event is not None else []

    def named(text: str) -> str:
        if day and day != "政府开放日":
            return text.replace("政府开放日", day).replace("开放日活动", f"{day}活动")
        return text

    questions = []
    for spec in preset["questions"]:
        spec = {**spec, "title": named(spec["title"])}
        if spec["kind"] == "matrix" and parts and set(spec.get("rows", [])) & set(parts):
            spec["rows"] = [r for r in spec["rows"] if r in parts] + [
                p for p in parts if p not in spec["rows"]
            ]
        questions.append(spec)
    return {
        **preset,
        "title": named(preset["title"]),
        "intro": named(preset["intro"]),
        "questions": questions,
    }


def _copy_questions(survey: Survey, specs: Iterable[Mapping[str, Any]]) -> list[Question]:
    """Create questions from specs whose show_if names an earlier spec by index."""
    made: list[Question] = []
    for i, spec in enumerate(specs):
        spec = dict(spec)
        cond = spec.pop("show_if", None)
        if cond:
            spec["show_if"] = {"question": made[cond["question"]].pk, "values": cond["values"]}
        made.append(Question.objects.create(survey=survey, position=(i + 1) * 10, **spec))
    return made


def update_survey(actor: "User", survey: Survey, **fields: Any) -> Survey:
    errors = check_survey({**{f: getattr(survey, f) for f in SURVEY_FIELDS}, **fields})
    if errors:
        raise ValidationError(errors)
    if "anonymous" in fields and fields["anonymous"] != survey.anonymous and has_responses(survey):
        raise ValidationError({"anonymous": "问卷已有答卷，不能再改变匿名或实名方式。"})
    before = _snapshot(survey)
    for k, v in fields.items():
        if k in SURVEY_FIELDS:
            setattr(survey, k, v)
    if not survey.anonymous and not survey.consent_text:
        survey.consent_text = DEFAULT_CONSENT
    survey.save()
    _changed(survey)
    record(
        "survey.update",
        actor=actor,
        obj=survey,
        changes=diff(before, _snapshot(survey)),
    )
    return survey


def set_status(actor: "User", survey: Survey, status: str) -> Survey:
    if status not in Survey.Status.values:
        raise ValidationError("状态不正确。")
    if status == Survey.Status.OPEN and not survey.questions.exclude(kind="section").exists():
        raise ValidationError("问卷还没有题目，请先添加题目再发布。")
    if status == Survey.Status.DRAFT and has_responses(survey):
        raise ValidationError("问卷已有答卷，不能退回草稿；可以结束收集。")
    before = survey.get_status_display()
    survey.status = status
    survey.save(update_fields=["status", "updated_at"])
    _changed(survey)
    record(
        "survey.status",
        actor=actor,
        obj=survey,
        changes={"状态": [before, survey.get_status_display()]},
    )
    return survey


def copy_survey(actor: "User", survey: Survey) -> Survey:
    """A new draft with the same settings and questions (conditions re-pointed)."""
    with transaction.atomic():
        new = Survey.objects.create(
            org=survey.org,
            created_by=actor,
            template=survey.template,
            status=Survey.Status.DRAFT,
            **{f: getattr(survey, f) for f in SURVEY_FIELDS if f not in ("opens_at", "closes_at")},
        )
        new.title = f"{survey.title}（副本）"[:200]
        new.save(update_fields=["title"])
        ids: dict[int, int] = {}
        for q in survey.questions.all():
            old = q.pk
            q.pk = None
            q.survey = new
            if q.show_if:
                q.show_if = {**q.show_if, "question": ids.get(q.show_if.get("question"))}
            q.save()
            ids[old] = q.pk
        record("survey.create", actor=actor, obj=new, changes={"复制自": survey.title})
    return new


def has_responses(survey: Survey) -> bool:
    return survey.responses.exists()


# --- Questions -------------------------------------------------------------------------------

QUESTION_FIELDS = (
    "kind",
    "title",
    "help_text",
    "required",
    "options",
    "rows",
    "min_choices",
    "max_choices",
    "max_length",
    "show_if",
)


def _clean_list(values: Iterable[object] | None) -> list[str]:
    return [str(v).strip() for v in values or [] if str(v).strip()]


def check_question(
    survey: Survey, fields: MutableMapping[str, Any], *, question: Question | None = None
) -> dict[str, str]:
    """Errors by field; also normalizes fields in place (trimmed option lists)."""
    errors: dict[str, str] = {}
    kind = fields.get("kind")
    if kind not in Question.Kind.values:
        errors["kind"] = "请选择题型。"
        return errors
    if not (fields.get("title") or "").strip():
        errors["title"] = "请填写题目。"
    fields["options"] = _clean_list(fields.get("options"))
    fields["rows"] = _clean_list(fields.get("rows"))
    if kind in ("single", "multiple", "rating", "matrix"):
        if len(fields["options"]) < 2:
            errors["options"] = "请至少填写两个选项（每行一个）。"
        elif len(set(fields["options"])) != len(fields["options"]):
            errors["options"] = "选项不能重复。"
        elif len(fields["options"]) > 30:
            errors["options"] = "选项不能超过30个。"
    else:
        fields["options"] = []
    if kind == "matrix":
        if not fields["rows"]:
            errors["rows"] = "请填写矩阵的行（每行一个）。"
        elif len(fields["rows"]) > 30:
            errors["rows"] = "矩阵不能超过30行。"
    else:
        fields["rows"] = []
    if kind == "multiple":
        lo, hi = fields.get("min_choices"), fields.get("max_choices")
        n = len(fields["options"])
        if lo and lo > n:
            errors["min_choices"] = f"最少选项数不能超过选项个数（{n}）。"
        if hi and lo and hi < lo:
            errors["max_choices"] = "最多选项数不能小于最少选项数。"
    else:
        fields["min_choices"] = fields["max_choices"] = None
    if kind not in checks.TEXT_LIMITS:
        fields["max_length"] = None
    cond = fields.get("show_if")
    if cond:
        earlier = survey.questions.filter(kind__in=["single", "multiple", "rating", "score"])
        if question is not None:
            earlier = earlier.filter(position__lt=question.position)
        target = earlier.filter(pk=cond.get("question")).first()
        values = cond.get("values") or []
        if target is None:
            errors["show_if"] = "显示条件只能引用本题之前的选择题或打分题。"
        elif not values:
            errors["show_if"] = "请选择触发显示的选项。"
        else:
            top = 10 if target.kind == "score" else len(target.options)
            low = 0 if target.kind == "score" else 1
            if any(not isinstance(v, int) or not low <= v <= top for v in values):
                errors["show_if"] = f"触发显示的选项应在 {low}–{top} 之间。"
    else:
        fields["show_if"] = None
    return errors


def _structure(q: Question) -> tuple[str, int, int, Any]:
    return (q.kind, len(q.options or []), len(q.rows or []), q.show_if)


def save_question(
    actor: "User", survey: Survey, fields: Mapping[str, Any], *, question: Question | None = None
) -> Question:
    fields = {k: v for k, v in fields.items() if k in QUESTION_FIELDS}
    errors = check_question(survey, fields, question=question)
    if errors:
        raise ValidationError(errors)
    locked = has_responses(survey)
    with transaction.atomic():
        if question is None:
            if locked:
                raise ValidationError(LOCKED)
            top = survey.questions.aggregate(m=Max("position"))["m"] or 0
            question = Question.objects.create(survey=survey, position=top + 10, **fields)
            record(
                "survey.question_add",
                actor=actor,
                obj=survey,
                changes={"题目": question.title},
            )
        else:
            before = {f: getattr(question, f) for f in QUESTION_FIELDS}
            old_structure = _structure(question)
            for k, v in fields.items():
                setattr(question, k, v)
            if locked and _structure(question) != old_structure:
                raise ValidationError(LOCKED)
            question.save()
            after = {f: getattr(question, f) for f in QUESTION_FIELDS}
            record(
                "survey.question_edit",
                actor=actor,
                obj=survey,
                changes=diff(
                    {k: str(v) for k, v in before.items()}, {k: str(v) for k, v in after.items()}
                ),
            )
    _changed(survey)
    return question


def delete_question(actor: "User", question: Question) -> None:
    survey = question.survey
    if has_responses(survey):
        raise ValidationError(LOCKED)
    if survey.questions.filter(show_if__question=question.pk).exists():
        raise ValidationError("后面有题目以本题作为显示条件，请先修改那些题目的显示条件。")
    title = question.title
    question.delete()
    _changed(survey)
    record("survey.question_delete", actor=actor, obj=survey, changes={"题目": title})


def move_question(actor: "User", question: Question, direction: int) -> Question:
    """Swap with the neighbour above (-1) or below (+1); conditions must still point backwards."""
    survey = question.survey
    if has_responses(survey):
        raise ValidationError(LOCKED)
    siblings = list(survey.questions.all())
    i = next(k for k, q in enumerate(siblings) if q.pk == question.pk)
    j = i + direction
    if not 0 <= j < len(siblings):
        return question
    other = siblings[j]
    first, second = (question, other) if direction < 0 else (other, question)
    # After the swap `second` comes before `first`: refuse if first's condition names second...
    if (first.show_if or {}).get("question") == second.pk:
        raise ValidationError(f"“{first.title}”的显示条件引用了“{second.title}”，不能移到它前面。")
    with transaction.atomic():
        positions = [(q.pk, (k + 1) * 10) for k, q in enumerate(siblings)]
        positions[i], positions[j] = (question.pk, positions[j][1]), (other.pk, positions[i][1])
        for pk, pos in positions:
            Question.objects.filter(pk=pk).update(position=pos)
    _changed(survey)
    record(
        "survey.question_move",
        actor=actor,
        obj=survey,
        changes={"题目": question.title, "方向": "上移" if direction < 0 else "下移"},
    )
    question.refresh_from_db()
    return question


# --- Answers ---------------------------------------------------------------------------------


def device_hash(device_id: str | None) -> str:
    device_id = (device_id or "").strip()
    if not device_id:
        return ""
    key = settings.HASH_KEY.encode()
    return hmac.new(key, b"device:" + device_id.encode()[:200], hashlib.sha256).hexdigest()


def check_respondent(
    defn: Mapping[str, Any], *, name: str, phone: str, category: str, consent: bool
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if category and category not in CATEGORY_NAMES:
        errors["category"] = "参加人类别不正确。"
    if not defn["anonymous"]:
        if not (name or "").strip():
            errors["name"] = "本问卷为实名填写，请填写姓名。"
        elif len(name.strip()) > 64:
            errors["name"] = "姓名太长。"
        if not is_mobile(phone or ""):
            errors["phone"] = "请填写11位手机号码。"
        if not consent:
            errors["consent"] = "请阅读个人信息告知并勾选同意。"
    return errors


def _insert(
    defn: Mapping[str, Any], rows: Iterable[tuple[int, int | None, int | None, str]], **fields: Any
) -> Response:
    response = Response(survey_id=defn["id"], **fields)
    with transaction.atomic():
        response.save(force_insert=True)
        Answer.objects.bulk_create(
            [
                Answer(
                    survey_id=defn["id"],
                    response_id=response.pk,
                    question_id=q,
                    row=r,
                    choice=c,
                    text=t,
                    category=response.category,
                    channel=response.channel,
                )
                for q, r, c, t in rows
            ]
        )
    return response


def submit_response(
    survey_id: int,
    answers: object,
    *,
    channel: str = Response.Channel.WEB,
    device_id: str = "",
    name: str = "",
    phone: str = "",
    category: str = "",
    consent: bool = False,
    now: datetime | None = None,
) -> Response:
    """An answer from the public. Raises Survey.DoesNotExist, Refused, ValidationError or
    answers.AnswerError (by question)."""
    defn = get_definition(survey_id)
    if defn["status"] == Survey.Status.DRAFT:
        raise Survey.DoesNotExist
    if not accepting(defn, now):
        raise Refused("closed", closed_message(defn, now))
    errors = check_respondent(defn, name=name, phone=phone, category=category, consent=consent)
    if errors:
        raise ValidationError(errors)
    rows = checks.clean(defn, answers)
    category = (category or "") if defn["ask_category"] else ""
    fields: dict[str, Any] = {
        "channel": channel,
        "category": category,
        "device_hash": device_hash(device_id),
    }
    if not defn["anonymous"]:
        fields.update(name=name.strip(), consent_at=timezone.now())
    response = Response(survey_id=defn["id"], pending=[list(r) for r in rows], **fields)
    if not defn["anonymous"]:
        response.phone = normalize_phone(phone)
    try:
        # One row, one INSERT: the answer rows are written later by expand_pending(). Inside a
        # caller's transaction a savepoint keeps a refused duplicate from spoiling it; outside
        # one, autocommit needs no BEGIN/COMMIT round trips.
        if connection.in_atomic_block:
            with transaction.atomic():
                response.save(force_insert=True)
        else:
            response.save(force_insert=True)
    except IntegrityError:
        raise Refused("duplicate", "您已经提交过这份问卷，每人只需填写一次，感谢参与！") from None
    return response


EXPAND_BATCH = 5000


def _expand_in_sql(ids: list[int]) -> None:
    """PostgreSQL: unpack the pending JSON into answer rows in one INSERT … SELECT."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO surveys_answer
                    (survey_id, response_id, question_id, "row", choice, text, category, channel)
                SELECT r.survey_id, r.id, (e->>0)::bigint, (e->>1)::smallint, (e->>2)::smallint,
                       e->>3, r.category, r.channel
                FROM surveys_response r, jsonb_array_elements(r.pending) e
                WHERE r.id = ANY(%s)""",
            [ids],
        )


def expand_pending(survey_id: int | None = None) -> int:
    """Write the answer rows of responses that still hold them in `pending`; returns how many.

    Called before anything reads answers (results, exports, a response's page) and by the
    hourly housekeeping. The rows are locked while they are expanded, so two callers at once
    never write a response's answers twice; the second waits and then finds nothing left.
    """
    waiting = Response.objects.filter(pending__isnull=False)
    if survey_id is not None:
        waiting = waiting.filter(survey_id=survey_id)
    done = 0
    while waiting.exists():
        with transaction.atomic():
            locked = list(
                waiting.select_for_update()
                .order_by("id")
                .values_list("id", flat=True)[:EXPAND_BATCH]
            )
            # A response another caller expanded while we waited for the lock has no pending.
            ids = list(
                Response.objects.filter(pk__in=locked, pending__isnull=False).values_list(
                    "id", flat=True
                )
            )
            if connection.vendor == "postgresql":
                _expand_in_sql(ids)
            else:
                rows = Response.objects.filter(pk__in=ids).values_list(
                    "id", "survey_id", "pending", "category", "channel"
                )
                Answer.objects.bulk_create(
                    [
                        Answer(
                            survey_id=sid,
                            response_id=rid,
                            question_id=q,
                            row=r,
                            choice=c,
                            text=t,
                            category=cat,
                            channel=ch,
                        )
                        for rid, sid, pending, cat, ch in rows
                        # Only responses locked above with answers pending are expanded.
                        for q, r, c, t in cast("list[list[Any]]", pending)
                    ],
                    batch_size=2000,
                )
            Response.objects.filter(pk__in=ids).update(pending=None)
            done += len(ids)
    return done


def enter_paper(
    actor: "User",
    survey: Survey,
    *,
    batch_no: str | None,
    form_no: str | None,
    answers: object,
    category: str = "",
) -> Response:
    """A paper form typed in by staff; the batch and form number identify it."""
    defn = get_definition(survey.pk)
    errors: dict[str, str] = {}
    batch_no, form_no = (batch_no or "").strip(), (form_no or "").strip()
    if not batch_no:
        errors["batch_no"] = "请填写批次号。"
    if not form_no:
        errors["form_no"] = "请填写表单编号。"
    if category and category not in CATEGORY_NAMES:
        errors["category"] = "参加人类别不正确。"
    if survey.status == Survey.Status.DRAFT:
        errors["__all__"] = "问卷尚未发布，不能录入纸质答卷。"
    if errors:
        raise ValidationError(errors)
    rows = checks.clean(defn, answers)
    try:
        response = _insert(
            defn,
            rows,
            channel=Response.Channel.PAPER,
            category=category,
            batch_no=batch_no,
            form_no=form_no,
            entered_by=actor,
        )
    except IntegrityError:
        raise ValidationError(
            {"form_no": f"批次 {batch_no} 的第 {form_no} 号表单已经录入过，请核对编号。"}
        ) from None
    record(
        "survey.paper_entry",
        actor=actor,
        obj=response,
        changes={"批次号": batch_no, "表单编号": form_no},
    )
    return response


def delete_response(actor: "User", response: Response, *, reason: str = "") -> None:
    survey = response.survey
    label = str(response)
    response.delete()
    record(
        "survey.response_delete",
        actor=actor,
        obj=survey,
        changes={"答卷": label, "原因": reason},
    )


def next_form_no(survey: Survey, batch_no: str) -> str:
    """The number after the highest numeric form number of the batch (1 for a new batch)."""
    numbers = survey.responses.filter(channel=Response.Channel.PAPER, batch_no=batch_no)
    top = 0
    for value in numbers.values_list("form_no", flat=True):
        if value.isdecimal():
            top = max(top, int(value))
    return str(top + 1)


def anonymize_old_responses(now: datetime | None = None, batch_size: int | None = None) -> int:
    """Clear names and phones of named answers older than RETENTION_DAYS; the answers stay."""
    from datetime import timedelta

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    old = Response.objects.filter(submitted_at__lt=cutoff).exclude(phone_encrypted="", name="")
    surveys = list(old.values_list("survey_id", flat=True).distinct())
    # A blank hash is outside the one-response-per-phone constraint, so "" is safe here.
    done = personal_data.erase_in_batches(
        old, {"name": "", "phone_encrypted": "", "phone_hash": ""}, batch_size
    )
    for survey in Survey.objects.filter(pk__in=surveys):
        record(
            "survey.personal_data_removed",
            obj=survey,
            changes={"retention_days": settings.RETENTION_DAYS},
        )
    return done
