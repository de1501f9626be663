from django.urls import include, path

from openday.api.urls import urlpatterns as api_urlpatterns

urlpatterns = [
    path("", include("openday.portal.urls")),
    path("staff/", include("openday.control.urls")),
    *api_urlpatterns,
]

handler403 = "openday.portal.views.permission_denied"
handler404 = "openday.portal.views.page_not_found"
handler500 = "openday.portal.views.server_error"
