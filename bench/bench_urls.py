"""The site's URLs plus views used only by benchmarks; the product never imports this module.

The server that bench/_harness.py starts uses it as its URL configuration
(OPENDAY_ROOT_URLCONF=bench.bench_urls, read by openday/settings.py; the harness puts the
repository root on PYTHONPATH so that `bench` is importable by granian's workers).

``insert_one`` is the server's bare single-row insert: the same request path (granian, WSGI,
middleware, a pooled connection) as a registration, but one INSERT and nothing else, so
bench/registration_burst.py and bench/survey_ingest.py can report their rates as a share of it.
"""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from openday import urls as site
from openday.audit.models import AuditEntry


@csrf_exempt
@require_POST
def insert_one(request):
    entry = AuditEntry.objects.create(action="bench.insert", actor_label="bench")
    return JsonResponse({"id": entry.pk}, status=201)


urlpatterns = [
    path("bench/insert/", insert_one),
    *site.urlpatterns,
]

handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500
