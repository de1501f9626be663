"""Views used only by benchmarks; openday/urls.py mounts them when OPENDAY_BENCH_VIEWS=1.

``insert_one`` is the server's bare single-row insert: the same request path (granian, WSGI,
middleware, a pooled connection) as a registration, but one INSERT and nothing else, so
bench/registration_burst.py can report registrations per second as a share of it.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from openday.audit.models import AuditEntry


@csrf_exempt
@require_POST
def insert_one(request):
    entry = AuditEntry.objects.create(action="bench.insert", actor_label="bench")
    return JsonResponse({"id": entry.pk}, status=201)
