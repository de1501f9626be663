from django.urls import path, re_path

from .v1 import api, not_found

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", not_found),
]
