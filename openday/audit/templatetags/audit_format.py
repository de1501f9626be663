"""Template filters over openday.audit.formatting, the one place audit changes become words."""

from collections.abc import Mapping

from django import template

from openday.audit.formatting import Change, describe, describe_entry, pairs
from openday.audit.models import AuditEntry

register = template.Library()


@register.filter
def audit_rows(entry: AuditEntry) -> list[Change]:
    """An entry's changes: each with .label, .text and, for a structured value, .items."""
    return describe_entry(entry)


@register.filter
def audit_changes(changes: AuditEntry | Mapping[str, object] | None) -> list[tuple[str, str]]:
    """[(label, text)] for an entry (or a bare changes dict); structured values span lines."""
    if isinstance(changes, AuditEntry):
        return pairs(describe_entry(changes))
    return pairs(describe(changes))
