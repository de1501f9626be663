"""Reading uploaded xlsx files the same way everywhere: text cells, one Chinese error."""

import io
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

UNREADABLE = "无法读取文件：请上传 Excel 2007 及以上版本的 .xlsx 文件。"


def cell_text(value):
    """A cell as stripped text; 12.0 (how Excel stores a typed 12) reads as "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def open_workbook(data):
    """(workbook, None), or (None, the reason in Chinese) when the file is not a readable xlsx."""
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True), None
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None, UNREADABLE


@dataclass
class RowError:
    """One bad row of an import: its row number in the sheet (0: the file) and the reason."""

    row: int
    reason: str


@dataclass
class ImportResult:
    """What an all-or-nothing import did: every bad row, or how many were created."""

    errors: list = field(default_factory=list)
    created: int = 0

    @property
    def ok(self):
        return not self.errors


def append_header(ws, headers):
    """The first row of a sheet: bold on light blue, as in every template we hand out."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws.append(headers)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def upload_problem(upload):
    """Why an uploaded file cannot be imported (too large, not .xlsx), or None."""
    from django.conf import settings

    if upload.size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        return f"文件过大：请上传不超过 {limit} MB 的 .xlsx 文件。"
    if not upload.name.lower().endswith(".xlsx"):
        return "文件类型不正确：请上传 .xlsx 文件（可先下载导入模板）。"
    return None
