"""Indexes for the event lists at a province's scale (bench/scale.py): the staff list's order
(newest first) and the public list's pages, upcoming events first."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_normalize_stored_phones"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["starts_at", "id"], name="event_starts"),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["ends_at"], name="event_ends"),
        ),
    ]
