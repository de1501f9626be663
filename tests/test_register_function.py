"""The PostgreSQL function openday_register (events migrations) writes rows of three models
itself; a column added to one of them must be written by the function or have a database
default, or every registration on PostgreSQL fails. This test reads the newest function."""

import importlib
import re
from pathlib import Path

from django.db.models import NOT_PROVIDED

from openday.audit.models import AuditEntry
from openday.events.models import Registration
from openday.messaging.models import OutboundMessage

MIGRATIONS = Path(__file__).resolve().parent.parent / "openday" / "events" / "migrations"


def newest_function():
    for path in sorted(MIGRATIONS.glob("0*.py"), reverse=True):
        module = importlib.import_module(f"openday.events.migrations.{path.stem}")
        if "openday_register" in getattr(module, "FUNCTION", ""):
            return module.FUNCTION
    raise AssertionError("no migration defines openday_register")


def inserted_columns(sql, table):
    found = re.search(rf"INSERT INTO {table} \(([^)]*)\)", sql)
    assert found, f"the function does not insert into {table}"
    return {name.strip() for name in found.group(1).split(",")}


def test_the_database_function_writes_every_column_that_has_no_default():
    sql = newest_function()
    for model in (Registration, AuditEntry, OutboundMessage):
        written = inserted_columns(sql, model._meta.db_table)
        columns = {f.column: f for f in model._meta.concrete_fields}
        assert written <= set(columns), (
            f"{model.__name__}: unknown columns {written - set(columns)}"
        )
        for column, field in columns.items():
            if field.primary_key or column in written:
                continue
            has_default = field.null or field.db_default is not NOT_PROVIDED
            assert has_default, (
                f"{model.__name__}.{field.name} is NOT NULL without a database default and "
                "openday_register() does not write it: add a db_default or a new function"
            )
