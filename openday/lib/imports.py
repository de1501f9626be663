"""What every import returns: one ImportResult with its bad rows as RowError, and the two
helpers an error page uses to list them (at most OPENDAY_IMPORT_ERRORS_SHOWN, with the total).

Imports are all or nothing: every bad row is listed and nothing is written when there is any.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RowError:
    """One problem of an import: the row (or line) number, 0 for the file itself; the reason in
    Chinese; the worksheet's name where a file has several sheets that are read."""

    row: int
    reason: str
    sheet: str = ""


@dataclass
class ImportResult:
    """What an all-or-nothing import did: every bad row, or how many records it wrote.

    created/updated/unchanged count what was written (all 0 when there are errors); details holds
    what a particular import also hands back (its docstring says which keys)."""

    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, row: int, reason: str, sheet: str = "") -> RowError:
        error = RowError(row, reason, sheet)
        self.errors.append(error)
        return error


def errors_shown(errors: Sequence[RowError]) -> list[RowError]:
    """The bad rows an error page lists: the first OPENDAY_IMPORT_ERRORS_SHOWN."""
    from django.conf import settings

    return list(errors[: settings.OPENDAY_IMPORT_ERRORS_SHOWN])


def errors_note(errors: Sequence[RowError]) -> str:
    """ "共 N 行有问题" for an error page, saying when only the first rows are listed."""
    from django.conf import settings

    shown = settings.OPENDAY_IMPORT_ERRORS_SHOWN
    # A row counts once however many problems it has; row 0 (the file) is not a row.
    rows = {(e.sheet, e.row) for e in errors if e.row}
    note = f"共 {len(rows) or len(errors)} 行有问题"
    if len(errors) > shown:
        note += f"（{len(errors)} 处），下面列出前 {shown} 处，修改后重新上传可看到其余的"
    return note + "。"
