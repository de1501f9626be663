"""Background work of the opinions loop."""

from django_tasks import task


@task()
def retrain_office_model(office_id, target):
    """Retrain an office's category or unit model from its staff's labels (idempotent: a model
    is only switched on when it scores at least as well as the active one)."""
    from openday.orgs.models import Org

    from .triage import retrain

    office = Org.objects.filter(pk=office_id).first()
    if office is None:
        return None
    row = retrain(office, target)
    return (
        None
        if row is None
        else {
            "model": row.pk,
            "active": row.active,
            "score_new": row.score_new,
            "score_old": row.score_old,
        }
    )
