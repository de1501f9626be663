"""The campaign's LOGO: a PNG or JPEG the office uploads, shown on event pages and paper."""

import base64

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from docx.image.image import Image as DocxImage

from openday.audit.services import record

MAX_BYTES = 1024 * 1024
KINDS = {b"\x89PNG\r\n\x1a\n": ("png", "image/png"), b"\xff\xd8\xff": ("jpg", "image/jpeg")}


def sniff(data):
    """(extension, content type) from the file's own first bytes, not its name."""
    for magic, kind in KINDS.items():
        if data.startswith(magic):
            return kind
    return None


def set_logo(actor, campaign, data):
    if len(data) > MAX_BYTES:
        raise ValidationError({"logo": "LOGO 图片不能超过 1 MB。"})
    kind = sniff(data)
    if kind is None:
        raise ValidationError({"logo": "LOGO 须为 PNG 或 JPEG 图片。"})
    try:
        # The same reader the printed documents use: a file it cannot read is refused now,
        # not when someone prints the sign-in sheet.
        DocxImage.from_blob(data)
    except Exception as exc:  # python-docx raises several kinds on broken files
        raise ValidationError(
            {"logo": "图片文件无法读取（可能已损坏），请重新导出后上传。"}
        ) from exc
    with transaction.atomic():
        old = campaign.logo.name if campaign.logo else ""
        campaign.logo.save(f"campaign-{campaign.pk}.{kind[0]}", ContentFile(data), save=True)
        record(
            "campaign.updated",
            actor=actor,
            obj=campaign,
            changes={"logo": [old or None, campaign.logo.name]},
        )
    return campaign


def remove_logo(actor, campaign):
    if not campaign.logo:
        return campaign
    with transaction.atomic():
        old = campaign.logo.name
        campaign.logo.delete(save=True)
        record(
            "campaign.updated",
            actor=actor,
            obj=campaign,
            changes={"logo": [old, None]},
        )
    return campaign


def logo_bytes(campaign):
    """The LOGO's bytes and content type, or (None, None) if there is none (or it is gone)."""
    if not campaign or not campaign.logo:
        return None, None
    try:
        with campaign.logo.open("rb") as f:
            data = f.read()
    except (FileNotFoundError, OSError):
        return None, None
    kind = sniff(data)
    return (data, kind[1]) if kind else (None, None)


def logo_data_uri(campaign):
    data, content_type = logo_bytes(campaign)
    if data is None:
        return ""
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"
