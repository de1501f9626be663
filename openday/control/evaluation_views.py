"""Staff pages: evaluation_views (see the module body)."""

urlpatterns = []
