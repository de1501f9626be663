from django_tasks import task

from . import services


# Messages are delivered by the worker's outbox loop (services.deliver_due); these two tasks
# stay so that tasks queued by earlier versions still run after an upgrade.
@task()
def deliver_message(message_id):
    """Send what is due in the outbox (this message among them)."""
    return services.deliver_all_due()


@task()
def deliver_pending():
    """Send what is due in the outbox."""
    return services.deliver_all_due()
