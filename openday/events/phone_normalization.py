"""Rewrite stored phone numbers in today's normalized form (events migration 0005).

Before openday.lib.text, a number typed in full-width, Arabic-Indic, Devanagari or mathematical
digits was stored as typed and hashed as a different person. This decrypts every stored phone,
normalizes it, and where that changes it re-encrypts it and writes the new look-up hash and last
four digits. Rows whose person was removed ("removed:<pk>" hashes, empty ciphertext) and values
no key can decrypt are left alone. Batched by primary key, one transaction per batch, so a large
table is fine and a run cut short resumes; a second run changes nothing.

When normalizing makes one person appear twice where a unique constraint allows once, nothing
is deleted:
- registrations (one_active_registration_per_phone): the earliest active one stays (a checked-in
  one before any other), the later ones are cancelled (status cancelled, cancelled_at, an audit
  entry "registration.cancelled"); the freed seats are not given to the waitlist and no SMS is
  sent, staff decide;
- invitations (one_invitation_per_phone), survey responses (one_response_per_phone) and
  callbacks (one_callback_per_*_phone): every row stays, with its phone and its answers; the
  later row's look-up hash becomes "duplicate:<pk>" (like the "removed:<pk>" tombstones, never a
  real hash), so it is no longer found by phone, and staff may delete it.
Every such case is reported: one line with the ids kept and changed, masked phone only.
"""

from django.db import transaction
from django.utils import timezone

from openday.lib import personal_data
from openday.lib.masking import mask_phone

BATCH = 500
ACTIVE = ("confirmed", "waitlisted", "pending")

# (app, model, ciphertext field, hash field or None, last-4 field or None)
PHONE_FIELDS = [
    ("events", "Registration", "phone_encrypted", "phone_hash", "phone_last4"),
    ("events", "Invitation", "phone_encrypted", "phone_hash", None),
    ("surveys", "Response", "phone_encrypted", "phone_hash", None),
    ("opinions", "Opinion", "phone_encrypted", "phone_hash", "phone_last4"),
    ("opinions", "Callback", "phone_encrypted", "phone_hash", None),
    ("accounts", "User", "phone_encrypted", "phone_hash", None),
    ("campaigns", "Declaration", "contact_phone_encrypted", None, None),
    ("campaigns", "PlanEntry", "contact_phone_encrypted", None, None),
]


def _rows(queryset, field, batch_size):
    """The rows holding a phone, batch_size at a time, each batch in its own transaction."""
    last = 0
    queryset = queryset.exclude(**{field: ""}).order_by("pk")
    while True:
        with transaction.atomic():
            batch = list(queryset.filter(pk__gt=last)[:batch_size])
            if not batch:
                return
            yield batch
            last = batch[-1].pk


def _target(model, hash_field, row, new_hash):
    """The other rows the new hash would collide with under a unique constraint."""
    label = model._meta.label
    others = model.objects.filter(**{hash_field: new_hash}).exclude(pk=row.pk)
    if label == "events.Registration":
        if row.status not in ACTIVE:
            return None
        return others.filter(event_id=row.event_id, status__in=ACTIVE)
    if label == "events.Invitation":
        return others.filter(event_id=row.event_id)
    if label == "surveys.Response":
        return others.filter(survey_id=row.survey_id)
    if label == "opinions.Callback":
        if row.opinion_id is not None:
            return others.filter(opinion_id=row.opinion_id)
        return others.filter(event_id=row.event_id, opinion__isnull=True)
    return None


def _cancel(apps, registrations, keeper, now, report, phone):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    for r in registrations:
        type(r).objects.filter(pk=r.pk).update(status="cancelled", cancelled_at=now)
        unit = r.event.unit
        AuditEntry.objects.create(
            actor_label="数据迁移",
            action="registration.cancelled",
            object_type="events.registration",
            object_id=str(r.pk),
            object_label=f"{r.event_id}号活动的报名",
            org=unit,
            org_path=unit.path,
            changes={
                "status": [r.status, "cancelled"],
                "reason": "phone_normalized",
                "kept": keeper.pk,
            },
        )
    report(
        f"活动 {keeper.event_id}：手机号 {mask_phone(phone)} 报名重复，保留报名 {keeper.pk}，"
        f"取消报名 {'、'.join(str(r.pk) for r in registrations)}"
    )


def renormalize_stored_phones(apps, *, batch_size=BATCH, report=print, now=None):
    """Normalize every stored phone (see the module docstring); {model label: rows changed}."""
    now = now or timezone.now()
    changed = {}
    for app_label, model_name, field, hash_field, last4_field in PHONE_FIELDS:
        model = apps.get_model(app_label, model_name)
        label = model._meta.label
        changed[label] = 0
        for batch in _rows(model.objects.all(), field, batch_size):
            for row in batch:
                if hash_field and str(getattr(row, hash_field)).startswith(
                    ("removed:", "duplicate:")
                ):
                    continue
                stored = personal_data.decrypt(getattr(row, field))
                if not stored:
                    continue  # written under another key: unreadable, left as it is
                phone = personal_data.normalize_phone(stored)
                new_hash = personal_data.lookup_hash(phone) if hash_field else None
                if phone == stored and (not hash_field or getattr(row, hash_field) == new_hash):
                    continue
                values = {field: personal_data.encrypt(phone)}
                if last4_field:
                    values[last4_field] = phone[-4:]
                if hash_field:
                    values[hash_field] = new_hash
                    clash = _target(model, hash_field, row, new_hash)
                    if clash is not None and clash.exists():
                        values[hash_field] = _resolve(
                            apps, model, row, list(clash), new_hash, phone, now, report
                        )
                model.objects.filter(pk=row.pk).update(**values)
                changed[label] += 1
    changed.update(_outbox(apps, batch_size))
    return changed


def _resolve(apps, model, row, clash, new_hash, phone, now, report):
    """The hash `row` gets after settling a collision (see the module docstring)."""
    label = model._meta.label
    if label == "events.Registration":
        group = sorted([row, *clash], key=lambda r: (r.checked_in_at is None, r.created_at, r.pk))
        keeper, later = group[0], group[1:]
        _cancel(apps, later, keeper, now, report, phone)
        return new_hash
    # Keep every row; the later one is no longer found by phone.
    first = min([row, *clash], key=lambda r: r.pk)
    if first.pk == row.pk:
        # This row came first: it takes the hash, the rows already holding it step aside.
        for other in clash:
            model.objects.filter(pk=other.pk).update(phone_hash=f"duplicate:{other.pk}")
        later = [o.pk for o in clash]
        kept = row.pk
    else:
        later, kept = [row.pk], first.pk
    if label == "events.Invitation":
        scope = f"活动 {row.event_id} 的邀请"
    elif label == "surveys.Response":
        scope = f"问卷 {row.survey_id} 的答卷"
    else:
        scope = "回访"
    report(
        f"{scope}：手机号 {mask_phone(phone)} 重复，保留 {kept}，"
        f"{'、'.join(map(str, later))} 保留原记录但不再按手机号查找（duplicate）"
    )
    return new_hash if first.pk == row.pk else f"duplicate:{row.pk}"


def _outbox(apps, batch_size):
    """SMS still to be sent go to the normalized number (sent ones are history, left alone)."""
    model = apps.get_model("messaging", "OutboundMessage")
    done = 0
    waiting = model.objects.filter(channel="sms", status__in=["pending", "failed"])
    for batch in _rows(waiting, "to_encrypted", batch_size):
        for row in batch:
            stored = personal_data.decrypt(row.to_encrypted)
            phone = personal_data.normalize_phone(stored) if stored else ""
            if phone and phone != stored:
                model.objects.filter(pk=row.pk).update(
                    to_encrypted=personal_data.encrypt(phone), to_masked=mask_phone(phone)
                )
                done += 1
    return {model._meta.label: done}
