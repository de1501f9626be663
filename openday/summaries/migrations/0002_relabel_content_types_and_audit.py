"""The stored labels of the two models follow them from publicity to summaries.

- django_content_type: the rows (publicity, eventphoto) and (publicity, eventsummary) get the
  app label summaries, keeping their ids, so the permissions that point at them stay theirs;
- audit_auditentry.object_type: audit.services.record writes obj._meta.label_lower, so the
  entries written before the move say "publicity.eventphoto" / "publicity.eventsummary" and
  those written after "summaries.…"; the old entries are relabelled so an object's history is
  found under one name.

Backwards does the opposite. Not atomic: the audit entries are relabelled in batches, one
transaction each, so a large table never sits in one transaction; a run cut short is finished by
running it again (each step only touches rows still under the other label).
"""

from django.conf import settings
from django.db import migrations, transaction

MODELS = ("eventphoto", "eventsummary")
BATCH = 2000


def _relabel_content_types(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        with transaction.atomic():
            row = ContentType.objects.filter(app_label=old, model=model).first()
            if row is None:
                continue  # a new database: post_migrate creates the row under the new label
            # A row under the new label exists when the models were migrated to part-way
            # (post_migrate created it, with fresh permissions); the old row, the one the
            # permissions were granted on, wins.
            ContentType.objects.filter(app_label=new, model=model).delete()
            row.app_label = new
            row.save(update_fields=["app_label"])


def _relabel_audit(apps, old, new):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    for model in MODELS:
        before, after = f"{old}.{model}", f"{new}.{model}"
        while True:
            with transaction.atomic():
                ids = list(
                    AuditEntry.objects.filter(object_type=before).values_list("pk", flat=True)[
                        :BATCH
                    ]
                )
                if not ids:
                    break
                AuditEntry.objects.filter(pk__in=ids).update(object_type=after)


def forwards(apps, schema_editor):
    _relabel_content_types(apps, "publicity", "summaries")
    _relabel_audit(apps, "publicity", "summaries")


def backwards(apps, schema_editor):
    _relabel_content_types(apps, "summaries", "publicity")
    _relabel_audit(apps, "summaries", "publicity")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("summaries", "0001_initial"),
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
