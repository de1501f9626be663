from django_tasks import task

from . import services


@task()
def deliver_message(message_id):
    """Send one queued email/SMS. Idempotent: a sent message is not sent again. (Messages are
    now sent by deliver_pending; this stays for tasks queued by earlier versions.)"""
    return services.deliver_now(message_id)


@task()
def deliver_pending():
    """Send every recorded email/SMS not yet sent or tried (one task serves a whole burst)."""
    return services.deliver_pending()
