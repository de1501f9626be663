"""Staff pages: publicity_views (see the module body)."""

urlpatterns = []
