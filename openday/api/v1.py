"""The JSON API under /api/v1/. One error shape: {"error": {"code": ..., "message": ...}}."""

import logging
from datetime import datetime

from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from openday.accounts.services import token_for
from openday.audit import context as audit_context
from openday.lib.params import BadParam, ObjectId, Offset
from openday.lib.request_limits import too_large
from openday.ops.ratelimit import Limited
from openday.orgs.access import Access
from openday.orgs.models import Org

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    openapi_description = "`openday token USERNAME` 生成的 API 令牌：Authorization: Bearer <token>"

    def authenticate(self, request, token):
        found = token_for(token)
        if found is None:
            return None
        user = found.user
        access = Access(user)
        if not access.is_staff_member:
            return None
        audit_context.update(actor=user, token=f"{found.prefix}…")
        request.user = user
        request.access = access
        return user


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ChineseJSONRenderer(),
    title="OpenDay 开放日 API",
    version="1",
    description="开放日系统的接口。除 /health 外均需 Bearer 令牌。",
    urls_namespace="api-v1",
    auth=BearerToken(),
    docs_url="/docs",
)


DETAILS_SHOWN = 20  # a body with 100,000 bad items gets 20 reasons and the count, not all of them
FIELD_CHARS, REASON_CHARS = 100, 200


def _clip(text, limit):
    """A string cut to `limit` characters; other values (numbers, None) as they are."""
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def error(code, message, status, **extra):
    """The one error shape. `details` are capped: the first DETAILS_SHOWN, each field and reason
    clipped, and `total` counting them all, so no answer echoes a large body back."""
    details = extra.get("details")
    if details is not None:
        extra["total"] = extra.get("total", len(details))
        extra["details"] = [
            {k: _clip(v, FIELD_CHARS if k == "field" else REASON_CHARS) for k, v in d.items()}
            for d in details[:DETAILS_SHOWN]
        ]
        if extra["total"] > DETAILS_SHOWN:
            message = f"{message}共 {extra['total']} 处，以下列出前 {DETAILS_SHOWN} 处。"
    body = {"error": {"code": code, "message": _clip(message, 1000), **extra}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return error("unauthorized", "需要有效的 API 令牌（Authorization: Bearer <token>）。", 401)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    errors = exc.errors
    details = []
    for e in errors[:DETAILS_SHOWN]:
        where = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")]
        details.append({"field": ".".join(where), "reason": e.get("msg", "")})
    return error("invalid", "请求参数不正确。", 422, details=details, total=len(errors))


@api.exception_handler(RequestDataTooBig)
def on_too_large(request, exc):
    return too_large(request)


@api.exception_handler(BadRequest)
def on_bad_request(request, exc):
    message = str(exc) if isinstance(exc, BadParam) else "请求不正确。"
    return error("bad_request", message, 400)


HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "too_many_requests",
}


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return error(HTTP_CODES.get(exc.status_code, "http_error"), str(exc), exc.status_code)


@api.exception_handler(Exception)
def on_server_error(request, exc):
    logger.exception("API error on %s", request.path)
    return error("server_error", "服务器内部错误，已记录，请稍后再试。", 500)


@api.exception_handler(Limited)
def on_rate_limited(request, exc):
    response = error("too_many_requests", exc.message, 429, retry_after=exc.retry_after)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return error("forbidden", str(exc) or "无权访问。", 403)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error("not_found", "资源不存在。", 404)


def not_found(request):
    return error("not_found", "接口不存在，请查看 /api/v1/openapi.json。", 404)


class DatabaseState(Schema):
    ok: bool
    vendor: str
    latency_ms: float


class CacheState(Schema):
    ok: bool
    shared: bool


class DiskState(Schema):
    ok: bool
    free_bytes: int | None


class HousekeepingState(Schema):
    last_run_at: datetime | None
    finished_at: datetime | None
    ok: bool | None
    failed_steps: list[str]
    steps: dict[str, bool]
    next_run_at: datetime | None


class TaskState(Schema):
    ready: int
    running: int
    failed: int
    failed_last_day: int
    oldest_ready_seconds: int | None


class WorkerState(Schema):
    live: int


class ChannelState(Schema):
    unsent: int
    oldest_unsent_seconds: int | None
    failed: int


class Health(Schema):
    status: str = Field(
        description="ok；degraded（有需要运维处理的问题，见 problems）；error（数据库不可用）"
    )
    database: DatabaseState
    cache: CacheState | None = None
    disk: DiskState | None = None
    problems: list[str] = []
    housekeeping: HousekeepingState | None = None
    tasks: TaskState | None = None
    workers: WorkerState | None = None
    messages: dict[str, ChannelState] | None = None


@api.get("/health", auth=None, response={200: Health, 503: Health}, tags=["系统"])
def health(request):
    """Liveness for load balancers (503 only when the database is down) and the unattended
    half's figures for monitoring: housekeeping, tasks, workers, messages, cache and disk."""
    from openday.ops.status import gather, public_health

    body = public_health(gather())
    return Status(200 if body["database"]["ok"] else 503, body)


class MembershipOut(Schema):
    org_id: int
    org_name: str
    role: str
    role_label: str


class MeOut(Schema):
    username: str
    full_name: str
    is_operator: bool
    memberships: list[MembershipOut]


@api.get("/me", response=MeOut, tags=["账户"])
def me(request):
    """The token's user and their roles."""
    access = request.access
    return {
        "username": request.user.username,
        "full_name": request.user.full_name,
        "is_operator": access.is_operator,
        "memberships": [
            {
                "org_id": m.org_id,
                "org_name": m.org.name,
                "role": m.role,
                "role_label": m.get_role_display(),
            }
            for m in access.memberships
        ],
    }


class OrgOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    parent_id: int | None
    region_code: str
    region_name: str
    doc_code: str
    is_active: bool
    can_act: bool


class OrgPage(Schema):
    count: int
    results: list[OrgOut]


def _org_out(o, access=None):
    from openday.events.access import can_run_event_for

    return {
        "can_act": bool(access and can_run_event_for(access, o)),
        "id": o.pk,
        "name": o.name,
        "short_name": o.short_name,
        "kind": o.kind,
        "parent_id": o.parent_id,
        "region_code": o.region.code if o.region else "",
        "region_name": o.region.name if o.region else "",
        "doc_code": o.doc_code,
        "is_active": o.is_active,
    }


@api.get("/orgs", response=OrgPage, tags=["组织"])
def list_orgs(request, kind: str = "", offset: Offset = 0, limit: int = 100):
    """Organizations the token's user may see, in tree order; can_act says whether the user
    may act for it (create events, register walk-ins)."""
    if limit < 1 or limit > 500 or offset < 0:
        raise HttpError(422, "limit 须在 1–500 之间，offset 不能为负数。")
    qs = request.access.visible_orgs().select_related("region").order_by("path")
    if kind and kind not in Org.Kind.values:
        raise HttpError(422, f"kind 须为 {'、'.join(Org.Kind.values)} 之一。")
    if kind:
        qs = qs.filter(kind=kind)
    total = qs.count()
    return {
        "count": total,
        "results": [_org_out(o, request.access) for o in qs[offset : offset + limit]],
    }


@api.get("/orgs/{org_id}", response=OrgOut, tags=["组织"])
def get_org(request, org_id: ObjectId):
    org = get_object_or_404(Org.objects.select_related("region"), pk=org_id)
    if not request.access.can_see_org(org):
        raise PermissionDenied("无权查看该组织。")
    return _org_out(org, request.access)


from .articles import router as articles_router  # noqa: E402 - the routers need `api` first
from .campaigns import router as campaigns_router  # noqa: E402
from .evaluation import router as evaluation_router  # noqa: E402
from .events import router as events_router  # noqa: E402
from .opinion_staff import router as opinion_staff_router  # noqa: E402
from .opinions import router as opinions_router  # noqa: E402
from .surveys import router as surveys_router  # noqa: E402

api.add_router("/", campaigns_router)
api.add_router("/", events_router)
api.add_router("/", surveys_router)
api.add_router("/", opinions_router)
api.add_router("/", opinion_staff_router)
api.add_router("/", articles_router)
api.add_router("/", evaluation_router)
