"""Trigram indexes for the opinion list's search (content or tracking code contains the words).

Django's icontains is UPPER(column) LIKE UPPER('%words%'); on PostgreSQL a GIN index of
pg_trgm trigrams over UPPER(column) serves it (Chinese text included: its trigrams are hashed)
instead of reading every opinion in the viewer's scope. pg_trgm is a trusted extension
(PostgreSQL 13+), so the database owner may create it; where that is refused the search still
works, row by row, and the migration says so. SQLite has no such index and needs none at the
sizes it is used for.
"""

import logging

from django.db import migrations, transaction

log = logging.getLogger(__name__)

INDEXES = {
    "opinion_content_trgm": "content",
    "opinion_code_trgm": "tracking_code",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # no privilege: the search works without the index, slower
        log.warning("pg_trgm is not available (%s); the opinion search reads row by row", exc)
        print(f"\n  注意：无法启用 pg_trgm（{exc}），意见搜索不使用索引。")
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "opinions_opinion" '
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("opinions", "0004_opinion_list_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
