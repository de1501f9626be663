from datetime import timedelta

from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .models import LoginThrottle


@task()
def housekeeping():
    """Delete expired sessions and login throttles that no longer lock anything. Idempotent."""
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    day_ago = now - timedelta(days=1)
    # A row matters while it locks or while its failure window is open; a day covers both.
    throttles, _ = (
        LoginThrottle.objects.filter(Q(locked_until=None) | Q(locked_until__lt=day_ago))
        .filter(Q(first_failure_at=None) | Q(first_failure_at__lt=day_ago))
        .delete()
    )
    # Finished task results are kept a week for inspection, then dropped.
    week_ago = now - timedelta(days=7)
    results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=week_ago).delete()
    from openday.campaigns.services import send_due_reminders

    reminders = send_due_reminders()
    from openday.events.services import send_day_before_reminders

    event_reminders = send_day_before_reminders()
    from openday.events.services import anonymize_past_events

    anonymized = anonymize_past_events()
    from openday.surveys.services import anonymize_old_responses, expand_pending

    expanded = expand_pending()
    from openday.opinions.services import remind_and_escalate

    opinions = remind_and_escalate()
    answers_anonymized = anonymize_old_responses()
    from openday.messaging.services import deliver_pending

    # Normally a delivery task sends a message within seconds; this catches any whose task
    # was lost (a worker killed mid-run), and the messages queued above.
    messages = deliver_pending()
    return {"sessions": sessions, "throttles": throttles, "task_results": results,
            "reminders": reminders, "event_reminders": event_reminders,
            "events_anonymized": anonymized,
            "survey_answers_expanded": expanded, "survey_answers_anonymized": answers_anonymized,
            "opinions_reminded": opinions["reminded"], "opinions_escalated": opinions["escalated"], "messages_sent": messages}  # fmt: skip
