"""Staff pages: the office's triage settings and models (see the module body)."""

urlpatterns = []
