from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import task

from .models import LoginThrottle


@task()
def housekeeping():
    """Delete expired sessions and login throttles that no longer lock anything. Idempotent."""
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    throttles, _ = LoginThrottle.objects.filter(
        locked_until__lt=now - timedelta(days=1), first_failure_at=None
    ).delete()
    stale, _ = LoginThrottle.objects.filter(
        locked_until=None, first_failure_at__lt=now - timedelta(days=1)
    ).delete()
    return {"sessions": sessions, "throttles": throttles + stale}
