"""Reading labelled messages (CSV with columns id, title, body, label)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .text import message_text

COLUMNS = ("id", "title", "body", "label")


class DataError(Exception):
    """A file that can't be used; the message is for people (Chinese)."""


@dataclass
class Labelled:
    ids: list[str]
    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def read_labelled_csv(path: str | Path, what: str = "数据") -> Labelled:
    """Read a UTF-8 CSV (a byte-order mark is fine) with columns id, title, body, label."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"找不到{what}文件：{path}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            missing = [name for name in COLUMNS if name not in header]
            if missing:
                raise DataError(
                    f"{what}文件 {path} 缺少列：{'、'.join(missing)}"
                    f"（需要 {', '.join(COLUMNS)} 四列）"
                )
            reader.fieldnames = header
            ids, texts, labels = [], [], []
            for number, row in enumerate(reader, start=2):
                label = (row.get("label") or "").strip()
                if not label:
                    raise DataError(f"{what}文件 {path} 第 {number} 行没有类别（label）")
                ids.append((row.get("id") or "").strip())
                texts.append(message_text(row.get("title"), row.get("body")))
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise DataError(f"{what}文件 {path} 不是 UTF-8 编码") from exc
    except csv.Error as exc:
        raise DataError(f"{what}文件 {path} 不是有效的 CSV：{exc}") from exc
    if not texts:
        raise DataError(f"{what}文件 {path} 中没有数据行")
    return Labelled(ids, texts, labels)
