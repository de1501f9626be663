from django_tasks import task

from .services import deliver_now


@task()
def deliver_message(message_id):
    """Send one queued email/SMS. Idempotent: a sent message is not sent again."""
    return deliver_now(message_id)
