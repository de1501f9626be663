"""Reading uploaded xlsx files the same way everywhere: text cells, one Chinese error."""

import io
import zipfile

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
