"""EventPhoto and EventSummary move to the summaries app (summaries 0001 takes them over).

State only: the tables publicity_eventphoto and publicity_eventsummary stay as they are, and the
models in openday.summaries keep those names (Meta.db_table). Nothing in the database changes,
either way.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("publicity", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="EventPhoto"),
                migrations.DeleteModel(name="EventSummary"),
            ],
        ),
    ]
