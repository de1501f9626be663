"""Staff pages for operators (系统运维): the state of the unattended half.

/staff/status/ shows housekeeping, tasks, workers, the outbox, the database, the cache and the
disk, read by openday.ops.status (the same facts as /api/v1/health, with hosts and errors).
Operators may put failed messages back in the outbox; that is audit-logged.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from openday.audit.services import record
from openday.lib import params as param
from openday.messaging.services import retry_failed
from openday.ops.status import gather

from .shortcuts import staff_required

NOT_OPERATOR = "只有系统运维人员可以查看运行状态。"


def _operator(request):
    if not request.access.is_operator:
        raise PermissionDenied(NOT_OPERATOR)


@staff_required
def ops_status(request):
    _operator(request)
    context = {
        "facts": gather(),
        "lost_seconds": settings.OPENDAY_WORKER_LOST_SECONDS,
        "max_attempts": settings.OPENDAY_DELIVERY_MAX_ATTEMPTS,
    }
    response = render(request, "control/ops_status.html", context)
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_POST
def ops_retry_messages(request):
    """Give every failed message (or the ones ticked) a fresh round of tries."""
    _operator(request)
    from openday.messaging.models import OutboundMessage

    failed = OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED)
    ticked = [n for n in map(param.id_or_none, request.POST.getlist("message")) if n]
    ids = list((failed.filter(pk__in=ticked) if ticked else failed).values_list("pk", flat=True))
    with transaction.atomic():
        count = retry_failed(ids)
        if count:
            record("message.retry", actor=request.user, changes={"messages": count})
    if count:
        messages.success(request, f"已将 {count} 条发送失败的消息重新放入发送队列。")
    else:
        messages.info(request, "没有需要重新发送的消息。")
    return redirect("control:ops_status")


urlpatterns = [
    path("status/", ops_status, name="ops_status"),
    path("status/retry-messages/", ops_retry_messages, name="ops_retry_messages"),
]
