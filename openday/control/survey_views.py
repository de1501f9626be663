"""Staff pages for questionnaires: build, publish, paper entry and import, results, exports."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openday.events.access import can_run_event_for
from openday.events.models import CATEGORY_NAMES, Event
from openday.lib import params as param
from openday.lib import validation
from openday.lib.spreadsheet import upload_problem
from openday.opinions.access import can_enter_for
from openday.orgs import todo
from openday.orgs.models import Org
from openday.surveys import answers as checks
from openday.surveys import paper, services
from openday.surveys.access import access_survey, can_manage_survey, visible_surveys
from openday.surveys.forms import (
    CATEGORY_CHOICES,
    ImportForm,
    QuestionForm,
    SurveyCreateForm,
    SurveyForm,
)
from openday.surveys.models import Question, Response, Survey

from .shortcuts import DOCX, XLSX, apply_errors, download, staff_required


def _orgs_for(access):
    orgs = access.visible_orgs().filter(
        kind__in=[Org.Kind.UNIT, Org.Kind.DEPARTMENT, Org.Kind.OFFICE]
    )
    return [o for o in orgs.order_by("path") if can_run_event_for(access, o)]


def _events_for(org):
    return Event.objects.filter(unit__path__startswith=org.path).order_by("-starts_at")[:100]


def _survey_fields(form, events):
    d = dict(form.cleaned_data)
    event_id = d.pop("event", None)
    d["event"] = next((e for e in events if e.pk == event_id), None)
    if d["event"] is not None and d["event"].campaign_id:
        d["campaign"] = d["event"].campaign
    for k in ("org", "template"):
        d.pop(k, None)
    return d


@staff_required
def survey_list(request):
    surveys = (
        visible_surveys(request.access)
        .select_related("org", "event")
        .order_by("-created_at", "-id")
    )
    page = Paginator(surveys, 30).get_page(param.page(request.GET.get("page")))
    # The response counts of this page's surveys only, in one grouped query: counting them
    # for every visible survey joined 300,000 responses to each page (bench/scale.py).
    counts = dict(
        Response.objects.filter(survey_id__in=[s.pk for s in page])
        .values("survey_id")
        .annotate(n=Count("id"))
        .values_list("survey_id", "n")
    )
    for s in page:
        s.n = counts.get(s.pk, 0)
    return render(
        request,
        "control/surveys/list.html",
        {
            "page": page,
            "can_create": todo.runnable_units(request.access).exists(),
        },
    )


@staff_required
def survey_create(request):
    orgs = _orgs_for(request.access)
    if not orgs:
        raise PermissionDenied("只有单位管理员、单位工作人员和政务公开办管理员可以创建问卷。")
    org = orgs[0]
    wanted = request.POST.get("org") or request.GET.get("org")
    if wanted:
        org = next((o for o in orgs if str(o.pk) == str(wanted)), None)
        if org is None:
            raise PermissionDenied("您无权为该单位创建问卷。")
    events = list(_events_for(org))
    initial = {"org": org.pk, "anonymous": True, "ask_category": True, "template": "event"}
    if request.GET.get("event"):
        initial["event"] = request.GET["event"]
    form = SurveyCreateForm(request.POST or None, orgs=orgs, events=events, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = _survey_fields(form, events)
        if not fields.get("title"):
            fields.pop("title")
        for key in ("intro", "thanks", "consent_text"):
            if not fields.get(key):
                fields.pop(key, None)
        try:
            survey = services.create_survey(
                request.user, org, template=form.cleaned_data["template"], **fields
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "问卷已创建（草稿）。请检查题目，然后发布。")
            return redirect("control:survey_detail", survey.pk)
    return render(
        request,
        "control/surveys/form.html",
        {"form": form, "survey": None},
        status=400 if form.errors else 200,
    )


@staff_required
def survey_detail(request, survey_id):
    survey = access_survey(request, survey_id)
    questions = list(survey.questions.all())
    numbered, n = [], 0
    titles = {q.pk: q for q in questions}
    for q in questions:
        if q.kind != Question.Kind.SECTION:
            n += 1
        cond = q.show_if or {}
        numbered.append(
            (q, n if q.kind != Question.Kind.SECTION else None, titles.get(cond.get("question")))
        )
    counts = dict(survey.responses.values_list("channel").annotate(n=Count("id")))
    return render(
        request,
        "control/surveys/detail.html",
        {
            "survey": survey,
            "questions": numbered,
            "counts": counts,
            "total": sum(counts.values()),
            "can_manage": can_manage_survey(request.access, survey),
            "locked": bool(counts),
            "answer_url": request.build_absolute_uri(
                reverse("portal:survey_answer", args=[survey.pk])
            ),
        },
    )


@staff_required
def survey_edit(request, survey_id):
    survey = access_survey(request, survey_id, manage=True)
    events = list(_events_for(survey.org))
    initial = {
        f: getattr(survey, f) for f in services.SURVEY_FIELDS if f not in ("event", "campaign")
    }
    initial["event"] = survey.event_id
    form = SurveyForm(request.POST or None, events=events, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_survey(request.user, survey, **_survey_fields(form, events))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "问卷设置已保存。")
            return redirect("control:survey_detail", survey.pk)
    return render(
        request,
        "control/surveys/form.html",
        {"form": form, "survey": survey},
        status=400 if form.errors else 200,
    )


@staff_required
def question_form(request, survey_id, question_id=None):
    survey = access_survey(request, survey_id, manage=True)
    question = None
    if question_id is not None:
        question = get_object_or_404(Question, pk=question_id, survey=survey)
    earlier = survey.questions.filter(kind__in=["single", "multiple", "rating", "score"])
    if question is not None:
        earlier = earlier.filter(position__lt=question.position)
    initial = (
        QuestionForm.initial_for(question)
        if question
        else {"kind": request.GET.get("kind", "single"), "required": True}
    )
    form = QuestionForm(request.POST or None, earlier=earlier, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_question(request.user, survey, form.to_fields(), question=question)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            names = {"options": "options_text", "rows": "rows_text", "show_if": "show_if_question"}
            for field, errs in errors.items():
                field = names.get(field, field)
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, "题目已保存。")
            return redirect(reverse("control:survey_detail", args=[survey.pk]) + "#questions")
    return render(
        request,
        "control/surveys/question_form.html",
        {
            "form": form,
            "survey": survey,
            "question": question,
            "locked": services.has_responses(survey),
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def question_action(request, survey_id, question_id, action):
    survey = access_survey(request, survey_id, manage=True)
    question = get_object_or_404(Question, pk=question_id, survey=survey)
    try:
        if action == "up":
            services.move_question(request.user, question, -1)
        elif action == "down":
            services.move_question(request.user, question, 1)
        elif action == "delete":
            services.delete_question(request.user, question)
            messages.success(request, f"已删除题目“{question.title}”。")
        else:
            raise PermissionDenied("不支持的操作。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect(reverse("control:survey_detail", args=[survey.pk]) + "#questions")


@staff_required
@require_POST
def survey_action(request, survey_id, action):
    survey = access_survey(request, survey_id, manage=True)
    try:
        if action in ("open", "close", "draft"):
            status = {
                "open": Survey.Status.OPEN,
                "close": Survey.Status.CLOSED,
                "draft": Survey.Status.DRAFT,
            }[action]
            services.set_status(request.user, survey, status)
            messages.success(
                request,
                {
                    "open": "问卷已发布，群众可以扫码填写。",
                    "close": "问卷已结束收集。仍可录入纸质答卷。",
                    "draft": "问卷已退回草稿。",
                }[action],
            )
        elif action == "copy":
            new = services.copy_survey(request.user, survey)
            messages.success(request, "已复制为新问卷（草稿）。")
            return redirect("control:survey_detail", new.pk)
        else:
            raise PermissionDenied("不支持的操作。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("control:survey_detail", survey.pk)


# --- Paper ------------------------------------------------------------------------------------


def _paper_rows(defn, data=None):
    """The questions as keyboard-entry rows: (number, question, field name, typed value, hint)."""
    out, n, numbers = [], 0, {}
    for q in defn["questions"]:
        if q["kind"] == "section":
            continue
        n += 1
        numbers[q["id"]] = n
        name = f"q{q['id']}"
        cond = q["show_if"] or {}
        condition = ""
        if cond.get("question") in numbers:
            values = "或".join(str(v) for v in cond.get("values", []))
            condition = f"第{numbers[cond['question']]}题填{values}时才作答，否则留空"
        out.append(
            {
                "n": n,
                "q": q,
                "name": name,
                "value": (data or {}).get(name, ""),
                "hint": checks.paper_hint(q),
                "long": q["kind"] in ("text", "textarea"),
                "options": list(enumerate(q["options"], 1)),
                "condition": condition,
            }
        )
    return out


@staff_required
def survey_paper(request, survey_id):
    survey = access_survey(request, survey_id, manage=True)
    defn = services.get_definition(survey.pk)
    errors, data = {}, None
    batch = (request.POST.get("batch_no") or request.GET.get("batch") or "").strip()
    if request.method == "POST":
        data = request.POST
        answers = {}
        for row in _paper_rows(defn, data):
            try:
                answers[row["q"]["id"]] = checks.from_paper(row["q"], row["value"])
            except ValueError as exc:
                errors[row["name"]] = str(exc)
        if not errors:
            try:
                response = services.enter_paper(
                    request.user,
                    survey,
                    batch_no=batch,
                    form_no=data.get("form_no", ""),
                    category=data.get("category", ""),
                    answers=answers,
                )
            except ValidationError as exc:
                errors.update(validation.by_field(exc))
            except checks.AnswerError as exc:
                errors.update({f"q{qid}": msg for qid, msg in exc.errors.items()})
            else:
                messages.success(request, f"已录入 {response}。请继续录入下一份。")
                return redirect(
                    reverse("control:survey_paper", args=[survey.pk]) + f"?batch={batch}"
                )
    form_no = (data or {}).get("form_no") or (
        services.next_form_no(survey, batch) if batch else "1"
    )
    recent = survey.responses.filter(channel=Response.Channel.PAPER).order_by("-id")[:10]
    entered = survey.responses.filter(channel=Response.Channel.PAPER).count()
    return render(
        request,
        "control/surveys/paper.html",
        {
            "survey": survey,
            "rows": _paper_rows(defn, data),
            "errors": errors,
            "batch": batch,
            "form_no": form_no,
            "category": (data or {}).get("category", ""),
            "categories": CATEGORY_CHOICES,
            "recent": recent,
            "entered": entered,
            "today": timezone.localdate().strftime("%Y%m%d"),
        },
        status=400 if errors else 200,
    )


@staff_required
def survey_import(request, survey_id):
    survey = access_survey(request, survey_id, manage=True)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        problem = upload_problem(upload)
        if problem:
            form.add_error("file", problem)
        else:
            result = paper.import_paper(request.user, survey, upload.read())
        if result is not None and result.ok:
            messages.success(request, f"已导入 {result.created} 份纸质答卷。")
            return redirect("control:survey_detail", survey.pk)
    return render(
        request,
        "control/surveys/import.html",
        {
            "form": form,
            "survey": survey,
            "result": result,
        },
        status=400 if (result and not result.ok) or form.errors else 200,
    )


@staff_required
def survey_import_template(request, survey_id):
    survey = access_survey(request, survey_id, manage=True)
    return download(paper.template_workbook(survey), XLSX, f"{survey.title}-纸质答卷录入表.xlsx")


# --- Responses, results, exports ---------------------------------------------------------------


@staff_required
def survey_responses(request, survey_id):
    survey = access_survey(request, survey_id)
    qs = survey.responses.select_related("entered_by").order_by("-submitted_at", "-id")
    channel = request.GET.get("channel", "")
    if channel in Response.Channel.values:
        qs = qs.filter(channel=channel)
    batch = request.GET.get("batch", "").strip()
    if batch:
        qs = qs.filter(batch_no=batch)
    page = Paginator(qs, 50).get_page(param.page(request.GET.get("page")))
    return render(
        request,
        "control/surveys/responses.html",
        {
            "survey": survey,
            "page": page,
            "channel": channel,
            "batch": batch,
            "channels": Response.Channel.choices,
            "categories": CATEGORY_NAMES,
            "can_manage": can_manage_survey(request.access, survey),
        },
    )


@staff_required
def response_detail(request, survey_id, response_id):
    survey = access_survey(request, survey_id)
    response = get_object_or_404(Response, pk=response_id, survey=survey)
    services.expand_pending(survey.pk)
    answers = {}
    for a in response.answers.all():
        answers.setdefault(a.question_id, []).append(a)
    shown = []
    for q in survey.questions.exclude(kind=Question.Kind.SECTION):
        given = answers.get(q.pk, [])
        if q.kind in Question.TEXT_KINDS:
            text = "".join(a.text for a in given)
        elif q.kind == Question.Kind.SCORE:
            text = "；".join(f"{a.choice}分" for a in given)
        elif q.kind == Question.Kind.MATRIX:
            text = "；".join(f"{q.rows[a.row - 1]}：{q.options[a.choice - 1]}" for a in given)
        else:
            text = "；".join(q.options[a.choice - 1] for a in given if a.choice <= len(q.options))
        shown.append((q, text))
    if request.method == "POST":
        if not can_manage_survey(request.access, survey):
            raise PermissionDenied("您无权删除答卷。")
        reason = (request.POST.get("reason") or "").strip()
        if not reason:
            messages.error(request, "请填写删除原因（如：录入错误、重复答卷）。")
        else:
            services.delete_response(request.user, response, reason=reason)
            messages.success(request, f"已删除{response}。")
            return redirect("control:survey_responses", survey.pk)
    return render(
        request,
        "control/surveys/response.html",
        {
            "survey": survey,
            "r": response,
            "shown": shown,
            "categories": CATEGORY_NAMES,
            "can_manage": can_manage_survey(request.access, survey),
        },
    )


def _channel(request):
    value = request.GET.get("channel", "")
    return value if value in ("online", "paper") else None


@staff_required
def survey_results(request, survey_id):
    from openday.surveys import results

    survey = access_survey(request, survey_id)
    channel = _channel(request)
    data = results.compute(survey, channel=channel)
    texts = {}
    for q in data["questions"]:
        if q["kind"] in ("text", "textarea"):
            rows = results.text_answers(survey, survey.questions.get(pk=q["id"]), channel=channel)
            texts[q["id"]] = Paginator(rows, 20).get_page(
                param.page(request.GET.get(f"p{q['id']}"))
            )
    return render(
        request,
        "control/surveys/results.html",
        {
            "survey": survey,
            "data": data,
            "texts": texts,
            "channel": channel or "",
            "categories": CATEGORY_NAMES,
            "can_manage": can_manage_survey(request.access, survey),
            "can_enter": can_enter_for(request.access, survey.org),
        },
    )


@staff_required
@require_POST
def answer_to_opinion(request, survey_id, answer_id):
    """One click: a free-text answer becomes an opinion (source: questionnaire) for the loop."""
    from openday.opinions.services import opinion_from_answer
    from openday.surveys.models import Answer

    survey = access_survey(request, survey_id)
    answer = get_object_or_404(
        Answer.objects.select_related("response"), pk=answer_id, survey=survey
    )
    if not answer.text or not can_enter_for(request.access, survey.org):
        raise PermissionDenied("您无权把这条回答转为意见建议。")
    try:
        opinion = opinion_from_answer(request.user, answer)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("control:survey_results", survey.pk)
    messages.success(request, f"已转为意见建议 {opinion.tracking_code}，可在“意见建议”中交办。")
    return redirect("control:opinion_detail", opinion.pk)


@staff_required
def survey_results_json(request, survey_id):
    from openday.surveys import results

    survey = access_survey(request, survey_id)
    return JsonResponse(
        results.compute(survey, channel=_channel(request)),
        json_dumps_params={"ensure_ascii": False},
    )


@staff_required
def survey_export(request, survey_id):
    from openday.surveys import exports

    survey = access_survey(request, survey_id)
    return exports.responses_xlsx_response(survey, f"{survey.title}-答卷.xlsx")


@staff_required
def survey_summary(request, survey_id):
    from openday.surveys import exports

    survey = access_survey(request, survey_id)
    return download(exports.summary_docx(survey), DOCX, f"{survey.title}-结果汇总.docx")


@staff_required
def survey_poster(request, survey_id):
    from openday.events.tickets import qr_svg

    survey = access_survey(request, survey_id)
    url = request.build_absolute_uri(reverse("portal:survey_answer", args=[survey.pk]))
    logo = survey.campaign if survey.campaign_id and survey.campaign.logo else None
    if logo is None and survey.event_id and survey.event.campaign_id and survey.event.campaign.logo:
        logo = survey.event.campaign
    return render(
        request,
        "control/surveys/poster.html",
        {
            "survey": survey,
            "url": url,
            "qr": qr_svg(url),
            "logo_campaign": logo,
        },
    )
