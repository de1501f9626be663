"""Indexes for the staff opinion list at a province's scale (bench/scale.py): its default order
(newest first, also the keyset pager's order) and that order within one status."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("opinions", "0003_triage_settings")]

    operations = [
        migrations.AddIndex(
            model_name="opinion",
            index=models.Index(fields=["-received_at", "-id"], name="opinion_received"),
        ),
        migrations.AddIndex(
            model_name="opinion",
            index=models.Index(
                fields=["status", "-received_at", "-id"], name="opinion_status_received"
            ),
        ),
    ]
