"""The public's side of opinions (意见建议): the online form, the progress look-up by tracking
code and phone tail, and the results board (采纳及整改结果公开) with its printable notice.

What the public may see (public_result, the board rows, the look-up rate limit) is decided in
openday.opinions.public, which the public API uses too, so page and API say the same.
"""

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from openday.audit.services import client_ip
from openday.events.models import GUEST_CATEGORIES
from openday.lib import params as param
from openday.lib import validation
from openday.lib.edge import clean_post
from openday.lib.personal_data import normalize_phone
from openday.opinions import services
from openday.opinions.models import Opinion
from openday.opinions.public import (
    BOARD_PAGE_SIZE,
    NOT_FOUND_MESSAGE,
    TAIL_RE,
    ascii_text,
    board_queryset,
    board_row,
    board_scope,
    board_summary,
    lookup_limit,
    normalize_code,
    note_failed_lookup,
    public_events,
    public_offices,
    public_result,
)
from openday.ops import ratelimit

from .context import public_page

S = Opinion.Status
D = Opinion.Decision
BULLETIN_LIMIT = 200
DONE_SESSION_KEY = "opinion_submitted"


def _scope_title(event, campaign):
    if event is not None:
        return event.title
    if campaign is not None:
        return campaign.title
    return ""


def _scope_query(event, campaign, **more):
    params = {}
    if event is not None:
        params["event"] = event.pk
    elif campaign is not None:
        params["campaign"] = campaign.pk
    params.update({k: v for k, v in more.items() if v})
    return urlencode(params)


# --- The online form ------------------------------------------------------------------------------

FIELD_LABELS = {
    "office": "受理单位",
    "content": "意见建议",
    "name": "姓名",
    "phone": "手机号码",
    "category": "参加人类别",
    "consent": "个人信息告知",
}


def _event_param(request):
    raw = request.POST.get("event") or request.GET.get("event") or ""
    if not raw:
        return None
    event_id = param.id_or_none(raw)
    event = public_events().filter(pk=event_id).first() if event_id else None
    if event is None:
        raise Http404("活动不存在。")
    return event


def opinion_new(request):
    event = _event_param(request)
    offices = [] if event is not None else list(public_offices())
    values = {"office": str(offices[0].pk) if len(offices) == 1 else ""}
    errors, limited = {}, None
    if request.method == "POST":
        post, problems = clean_post(request.POST, single_line={"name", "phone", "category"})
        values = {
            "content": post.get("content", ""),
            "name": post.get("name", "").strip(),
            "phone": ascii_text(post.get("phone", "")),
            "category": post.get("category", ""),
            "anonymous": post.get("anonymous") == "1",
            "consent": post.get("consent") == "1",
            "office": post.get("office", ""),
        }
        office = None
        if event is None:
            office = next((o for o in offices if str(o.pk) == values["office"]), None)
        try:
            if problems:
                raise ValidationError(problems)
            ratelimit.hit(
                ("opinion.address", client_ip(request)),
                ("opinion.phone", normalize_phone(values["phone"])),
            )
            opinion = services.submit_opinion(
                content=values["content"],
                source=Opinion.Source.ONLINE,
                office=office,
                event=event,
                name=values["name"],
                phone=values["phone"],
                anonymous=values["anonymous"],
                consent=values["consent"],
                category=values["category"],
            )
        except ratelimit.Limited as exc:
            errors, limited = {"__all__": exc.message}, exc
        except ValidationError as exc:
            errors = validation.by_field(exc)
        else:
            request.session[DONE_SESSION_KEY] = {
                "code": opinion.tracking_code,
                "masked_phone": opinion.masked_phone,
                "event": event.pk if event is not None else None,
            }
            return redirect("portal:opinion_done")
    order = list(FIELD_LABELS)  # page order
    summary = [
        {"field": f, "label": FIELD_LABELS.get(f, "提交"), "message": m}
        for f, m in sorted(
            errors.items(), key=lambda e: order.index(e[0]) if e[0] in order else len(order)
        )
    ]
    response = render(
        request,
        "portal/opinions/new.html",
        {
            "event": event,
            "offices": offices,
            "v": values,
            "errors": errors,
            "summary": summary,
            "categories": GUEST_CATEGORIES,
            "consent_text": services.DEFAULT_CONSENT,
            "limit": services.CONTENT_LIMIT,
        },
        status=429 if limited else 400 if errors else 200,
    )
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


def opinion_done(request):
    done = request.session.get(DONE_SESSION_KEY)
    if not done:
        return redirect("portal:opinion_new")
    code = done["code"]
    event = public_events().filter(pk=done.get("event")).first() if done.get("event") else None
    return render(
        request,
        "portal/opinions/done.html",
        {
            "code": code,
            "code_groups": [code[i : i + 5] for i in range(0, len(code), 5)],
            "masked_phone": done.get("masked_phone", ""),
            "event": event,
        },
    )


# --- Progress look-up -------------------------------------------------------------------------------


def opinion_status(request):
    values = {"code": "", "tail": ""}
    errors, message, result, status, limited = {}, "", None, 200, None
    if request.method == "POST":
        values = {
            "code": normalize_code(request.POST.get("code")),
            "tail": ascii_text(request.POST.get("tail")),
        }
        limited = lookup_limit(values["code"])
        if limited:
            message, status = limited.message, 429
        else:
            if not values["code"]:
                errors["code"] = "请填写查询码。"
            if values["tail"] and not TAIL_RE.match(values["tail"]):
                errors["tail"] = "请填写手机号的后四位数字；提交时没有留手机号的，请留空。"
            if errors:
                status = 400
            else:
                opinion = services.lookup(values["code"], values["tail"])
                if opinion is None:
                    note_failed_lookup(values["code"])
                    message, status = NOT_FOUND_MESSAGE, 400
                else:
                    result = public_result(opinion)
                    result["short"] = opinion.short
    response = render(
        request,
        "portal/opinions/status.html",
        {
            "v": values,
            "errors": errors,
            "message": message,
            "result": result,
            "blocked": status == 429,
        },
        status=status,
    )
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


# --- Results board and printable notice -------------------------------------------------------------


def _board_context(request):
    qs, event, campaign = board_scope(request.GET.get("event"), request.GET.get("campaign"))
    decision = request.GET.get("decision", "")
    if decision not in D.values:
        decision = ""
    return qs, event, campaign, decision


@public_page(
    lambda: ["board", "events", "campaigns"], query=("event", "campaign", "decision", "page")
)
def opinion_board(request):
    qs, event, campaign, decision = _board_context(request)
    paginator = Paginator(board_queryset(qs, decision), BOARD_PAGE_SIZE)
    page = paginator.get_page(param.page(request.GET.get("page")))
    return render(
        request,
        "portal/opinions/board.html",
        {
            "event": event,
            "campaign": campaign,
            "scope_title": _scope_title(event, campaign),
            "decision": decision,
            "summary": board_summary(qs),
            "page": page,
            "rows": [board_row(o) for o in page.object_list],
            "scope_query": _scope_query(event, campaign),
            "page_query": _scope_query(event, campaign, decision=decision),
            "decisions": D.choices,
        },
    )


def opinion_bulletin(request):
    from openday.events.tickets import qr_svg

    qs, event, campaign, decision = _board_context(request)
    rows = [board_row(o) for o in board_queryset(qs, decision)[: BULLETIN_LIMIT + 1]]
    query = _scope_query(event, campaign, decision=decision)
    board = reverse("portal:opinion_board") + (f"?{query}" if query else "")
    url = request.build_absolute_uri(board)
    if event is not None:
        issuer = services.office_of(event.unit)
    elif campaign is not None:
        issuer = campaign.office
    else:
        issuer = None
    return render(
        request,
        "portal/opinions/bulletin.html",
        {
            "event": event,
            "campaign": campaign,
            "scope_title": _scope_title(event, campaign),
            "decision_label": dict(D.choices).get(decision, ""),
            "summary": board_summary(qs),
            "rows": rows[:BULLETIN_LIMIT],
            "more": len(rows) > BULLETIN_LIMIT,
            "limit": BULLETIN_LIMIT,
            "issuer": issuer,
            "today": timezone.localdate(),
            "url": url,
            "qr": qr_svg(url),
        },
    )
