"""Event photos kept as evidence: upload (PNG/JPEG checked by content), caption and flags, delete.

The size of a picture is read from its header (openday.lib.images; no imaging library).
"""

import os

from django.core.exceptions import ValidationError
from django.db import transaction

from openday.audit.services import record
from openday.lib import images

from .models import EventPhoto

MAX_MB = 10
MAX_PER_EVENT = 200
CAPTION_MAX = 120
KINDS = {"png": ".png", "jpeg": ".jpg"}


def check_upload(upload):
    """(kind, width, height) of an acceptable photo upload; ValidationError in Chinese otherwise."""
    try:
        return images.check_upload(
            upload, name=getattr(upload, "name", "") or "照片", max_mb=MAX_MB
        )
    except images.BadImage as exc:
        raise ValidationError({"images": str(exc)}) from exc


def _clean_caption(caption):
    caption = (caption or "").strip()
    if len(caption) > CAPTION_MAX:
        raise ValidationError({"caption": f"说明不能超过 {CAPTION_MAX} 个字。"})
    return caption


def add_photo(actor, event, upload, caption="", shows_logo=False, public=True):
    """Keep one photo of the event; the file is checked by its content, at most 10 MB."""
    kind, width, height = check_upload(upload)
    caption = _clean_caption(caption)
    if EventPhoto.objects.filter(event=event).count() >= MAX_PER_EVENT:
        raise ValidationError({"images": f"每个活动最多保存 {MAX_PER_EVENT} 张照片。"})
    base = os.path.splitext(os.path.basename(upload.name or ""))[0][:60] or "photo"
    upload.name = base + KINDS[kind]
    with transaction.atomic():
        photo = EventPhoto.objects.create(
            event=event,
            image=upload,
            caption=caption,
            shows_logo=bool(shows_logo),
            public=bool(public),
            width=width,
            height=height,
            uploaded_by=actor,
        )
        record(
            "photo.added",
            actor=actor,
            obj=photo,
            changes={
                "活动": event.title,
                "尺寸": f"{width}×{height}",
                "可见LOGO": bool(shows_logo),
                "公开": bool(public),
            },
        )
    return photo


def update_photo(actor, photo, *, caption=None, shows_logo=None, public=None):
    """Change a photo's caption and flags; only what changed is recorded."""
    changes = {}
    new = {
        "caption": None if caption is None else _clean_caption(caption),
        "shows_logo": None if shows_logo is None else bool(shows_logo),
        "public": None if public is None else bool(public),
    }
    labels = {"caption": "说明", "shows_logo": "可见LOGO", "public": "公开"}
    with transaction.atomic():
        photo = (
            EventPhoto.objects.select_for_update().select_related("event__unit").get(pk=photo.pk)
        )
        for field, value in new.items():
            if value is not None and getattr(photo, field) != value:
                changes[labels[field]] = [getattr(photo, field), value]
                setattr(photo, field, value)
        if changes:
            photo.save(update_fields=["caption", "shows_logo", "public"])
            record("photo.updated", actor=actor, obj=photo, changes=changes)
    return photo


def delete_photo(actor, photo):
    """Remove the photo; the file is deleted once the transaction has committed."""
    storage, name = photo.image.storage, photo.image.name
    with transaction.atomic():
        record(
            "photo.deleted",
            actor=actor,
            obj=photo,
            changes={"活动": photo.event.title, "说明": photo.caption, "文件": name},
        )
        photo.delete()
        transaction.on_commit(lambda: storage.delete(name) if name else None)
