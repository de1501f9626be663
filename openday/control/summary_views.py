"""Staff pages: summary_views (see the module body)."""

urlpatterns = []
