import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
application = get_wsgi_application()


def _warm():
    """Load every URLconf and the views and API they import now, in each worker as it starts,
    rather than in its first requests; then move everything loaded so far out of the garbage
    collector's sight (gc.freeze). Otherwise each full collection rescans the ~150,000 objects
    of Django and the app, which stalled every thread of a worker for 80-200 ms at a time
    during a registration burst (docs/performance.md)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the access imports the URLconfs
    gc.collect()
    gc.freeze()


_warm()
