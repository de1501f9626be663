"""Reading uploaded xlsx files the same way everywhere: text cells, one Chinese error."""

import io
import zipfile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from openday.lib.export_text import unquote_cell
from openday.lib.text import scrub

UNREADABLE = "无法读取文件：请上传 Excel 2007 及以上版本的 .xlsx 文件。"


def cell_text(value):
    """A cell as stripped text; 12.0 (how Excel stores a typed 12) reads as "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # Imports clean silently (a row has no form to show the reason on): Word's line breaks
    # become "\n", other control characters are dropped (openday.lib.text).
    # A leading apostrophe that our own export put before = + - @ comes off again.
    return scrub(unquote_cell(str(value)))[0]


# A real workbook has a few dozen parts; sheet XML compresses 10–30 times, rarely past 200.
MAX_MEMBERS = 1000
MAX_RATIO = 1000


def _mb(n):
    return f"{n / 1024 / 1024:g}"


def zip_problem(data):
    """Why an xlsx would expand past the caps, from the zip's central directory (no member is
    decompressed); None when it is within them. Python's zipfile stops at the declared size."""
    from django.conf import settings

    cap = settings.OPENDAY_IMPORT_MAX_UNCOMPRESSED_BYTES
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        return f"文件包含 {len(members)} 个部件，超过 {MAX_MEMBERS} 个（上限），不像是 Excel 表格。"
    total = sum(m.file_size for m in members)
    if total > cap:
        return f"文件解压后超过 {_mb(cap)} MB（上限），请拆分后再导入。"
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            return f"文件压缩比异常（超过 {MAX_RATIO} 倍，上限），请用 Excel 重新保存后再导入。"
    return None


def size_problem(workbook):
    """Why a workbook holds more rows or columns than an import reads, or None. Walks every
    sheet once, stopping at the first row past the cap (rows the file skips count too)."""
    from django.conf import settings

    max_rows = settings.OPENDAY_IMPORT_MAX_ROWS
    max_cols = settings.OPENDAY_IMPORT_MAX_COLUMNS
    for ws in workbook.worksheets:
        ws.reset_dimensions()  # a <dimension> claiming A1:XFD1048576 would pad every row
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if number > max_rows:
                return f"工作表“{ws.title}”超过 {max_rows} 行（上限），请拆分后再导入。"
            if len(row) > max_cols and any(v not in (None, "") for v in row[max_cols:]):
                return (
                    f"工作表“{ws.title}”第 {number} 行超过 {max_cols} 列（上限），请删去多余的列。"
                )
    return None


def open_workbook(data):
    """(workbook, None), or (None, the reason in Chinese) when the file is not a readable xlsx
    or is over the import caps. Every importer opens its upload here, streaming (read-only)."""
    try:
        problem = zip_problem(data)
        if problem:
            return None, problem
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        problem = size_problem(workbook)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError):
        return None, UNREADABLE
    if problem:
        workbook.close()
        return None, problem
    return workbook, None


def append_header(ws, headers):
    """The first row of a sheet: bold on light blue, as in every template we hand out."""
    from openpyxl.styles import Alignment, Font, PatternFill

    from openday.lib.export_text import append_row

    append_row(ws, headers)
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
