"""PNG and JPEG without an imaging library: recognise a file by its first bytes, read its size
from the header (the PNG IHDR chunk, or the first JPEG start-of-frame segment), and write small
RGB PNGs (demo photos, bar charts in documents)."""

import io
import os
import struct
import zlib
from collections.abc import Iterable
from typing import IO, Any

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
# JPEG markers that carry the frame size: SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
SOF_MARKERS = {0xC0 + i for i in range(16)} - {0xC4, 0xC8, 0xCC}
# Markers with no length field after them.
STANDALONE = {0x01, 0xD8, *range(0xD0, 0xD8)}


def kind_of(head: bytes) -> str | None:
    """ "png", "jpeg" or None, from a file's first bytes."""
    if head.startswith(PNG_MAGIC):
        return "png"
    if head.startswith(JPEG_MAGIC):
        return "jpeg"
    return None


def _png_size(f: IO[bytes]) -> tuple[int, int] | None:
    head = f.read(24)
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def _jpeg_size(f: IO[bytes]) -> tuple[int, int] | None:
    """Walk the JPEG segments from the start to the first SOF and read its height and width."""
    f.seek(2)
    while True:
        byte = f.read(1)
        if byte != b"\xff":
            return None  # segments are back to back; anything else is a damaged file
        marker = f.read(1)
        while marker == b"\xff":  # fill bytes
            marker = f.read(1)
        if not marker:
            return None
        code = marker[0]
        if code in STANDALONE:
            continue
        if code in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        raw = f.read(2)
        if len(raw) < 2:
            return None
        (length,) = struct.unpack(">H", raw)
        if length < 2:
            return None
        if code in SOF_MARKERS:
            data = f.read(5)
            if len(data) < 5:
                return None
            height, width = struct.unpack(">HH", data[1:5])
            return width, height
        f.seek(length - 2, os.SEEK_CUR)


def image_info(f: IO[bytes] | bytes | bytearray) -> tuple[str, int, int] | None:
    """(kind, width, height) of a PNG or JPEG, given a file object or bytes; None when it is
    neither or its header cannot be read. A file object is rewound."""
    if isinstance(f, bytes | bytearray):
        f = io.BytesIO(f)
    f.seek(0)
    kind = kind_of(f.read(8))
    f.seek(0)
    try:
        size = {"png": _png_size, "jpeg": _jpeg_size}[kind](f) if kind else None
    finally:
        f.seek(0)
    if not kind or not size or not size[0] or not size[1]:
        return None
    return kind, size[0], size[1]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def rgb_png(width: int, height: int, rows: Iterable[bytes]) -> bytes:
    """An 8-bit RGB PNG from `height` scanlines of `width` RGB pixels each (bytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"".join(b"\x00" + row for row in rows)  # filter type 0 (None) per scanline
    return (
        PNG_MAGIC
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(data, 9))
        + _chunk(b"IEND", b"")
    )


class BadImage(ValueError):
    """Why an upload is not a usable picture, in words for the person who sent it."""


def check_upload(f: Any, *, name: str = "", max_mb: float) -> tuple[str, int, int]:
    """(kind, width, height) of an uploaded PNG or JPEG (an uploaded file or bytes), checked by
    its content and size; BadImage with the reason in Chinese otherwise."""
    name = name or getattr(f, "name", "") or "图片"
    size = len(f) if isinstance(f, bytes | bytearray) else f.size
    if size > max_mb * 1024 * 1024:
        raise BadImage(
            f"“{name}”超过 {max_mb} MB（有 {size / 1024 / 1024:.1f} MB），请压缩后再上传。"
        )
    if not size:
        raise BadImage(f"“{name}”是空文件。")
    info = image_info(f)
    if info is None:
        head = f[:8] if isinstance(f, bytes | bytearray) else f.read(8)
        if not isinstance(f, bytes | bytearray):
            f.seek(0)
        if kind_of(bytes(head)) is None:
            raise BadImage(f"“{name}”不是 JPG 或 PNG 照片。")
        raise BadImage(f"“{name}”无法读取图片尺寸，文件可能已损坏，请重新导出后上传。")
    problem = pixels_problem(info[1], info[2], name)
    if problem:
        raise BadImage(problem)
    return info


def pixels_problem(width: int, height: int, name: str = "图片") -> str | None:
    """Why a picture of this size is refused (read from its header, before anything decodes it:
    a few KB of PNG can claim 60000×60000 pixels, 10 GB once decoded), or None."""
    from django.conf import settings

    side, pixels = settings.OPENDAY_IMAGE_MAX_SIDE, settings.OPENDAY_IMAGE_MAX_PIXELS
    if width > side or height > side:
        return (
            f"“{name}”尺寸为 {width}×{height} 像素，每边不能超过 {side} 像素（上限），"
            "请缩小后再上传。"
        )
    if width * height > pixels:
        return (
            f"“{name}”有 {width * height / 1e6:.0f} 百万像素，超过 {pixels / 1e6:g} 百万像素"
            "（上限），请缩小后再上传。"
        )
    return None
