import os

from django.urls import include, path

from openday.api.urls import urlpatterns as api_urlpatterns

urlpatterns = [
    path("", include("openday.portal.urls")),
    path("staff/", include("openday.control.urls")),
    *api_urlpatterns,
]

if os.environ.get("OPENDAY_BENCH_VIEWS") == "1":
    # Only for bench/registration_burst.py: the same server's bare single-row insert.
    from openday.bench_views import insert_one

    urlpatterns.append(path("bench/insert/", insert_one))

handler403 = "openday.portal.views.permission_denied"
handler404 = "openday.portal.views.page_not_found"
handler500 = "openday.portal.views.server_error"
