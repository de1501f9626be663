"""Personal invitations: import the invitee list, send, remind, print letters, accept."""

import io
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from openday.audit.services import record
from openday.lib.imports import ImportResult
from openday.lib.personal_data import is_mobile, lookup_hash, normalize_phone
from openday.lib.spreadsheet import cell_text, open_workbook
from openday.lib.text import clean_code
from openday.messaging.models import OutboundMessage
from openday.messaging.services import queue_message

from .models import CATEGORY_NAMES, Event, Invitation
from .services import TICKET_ALPHABET

if TYPE_CHECKING:
    from openday.accounts.models import User

HEADERS = ["姓名", "手机号", "类别", "单位/职务"]
CATEGORY_BY_NAME = {name: code for code, name in CATEGORY_NAMES.items()}
CATEGORY_BY_NAME.update(
    {
        "人大代表（旗级）": "deputy",
        "人大代表（镇级）": "deputy",
        "媒体记者": "media",
        "群众": "public",
        "劳模": "model",
        "道德模范": "model",
    }
)


def _code():
    import secrets

    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(12))


def import_invitees(actor: "User | None", event: Event, data: bytes) -> ImportResult:
    """All or nothing: every bad row is listed, and nothing is saved if any row is bad;
    created is the number of invitees added."""
    result = ImportResult()
    wb, problem = open_workbook(data)
    if problem:
        result.add_error(0, problem[:-1] + "（列：姓名、手机号、类别、单位/职务）。")
        return result
    lines = [[cell_text(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
    header_at = next(
        (i for i, line in enumerate(lines) if "姓名" in line and "手机号" in line), None
    )
    if header_at is None:
        result.add_error(0, "找不到表头：需要“姓名”“手机号”“类别”列，“单位/职务”可选。")
        return result
    header = lines[header_at]
    cols = {h: header.index(h) for h in HEADERS if h in header}
    if "类别" not in cols:
        result.add_error(header_at + 1, "表头缺少列：类别。")
        return result
    existing = set(event.invitations.values_list("phone_hash", flat=True))
    rows: list[tuple] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if not any(line):
            continue
        line = line + [""] * (len(header) - len(line))
        name = line[cols["姓名"]]
        phone = normalize_phone(line[cols["手机号"]])
        category = CATEGORY_BY_NAME.get(line[cols["类别"]])
        problems = []
        if not name:
            problems.append("请填写姓名")
        if not is_mobile(phone):
            problems.append(f"手机号“{line[cols['手机号']]}”格式不正确")
        if category is None:
            problems.append(
                f"类别“{line[cols['类别']]}”不是规定的类别（{'、'.join(CATEGORY_NAMES.values())}）"
            )
        digest = lookup_hash(phone) if is_mobile(phone) else ""
        if digest and digest in existing:
            problems.append("该手机号已在本活动的邀请名单中")
        if digest and digest in seen:
            problems.append(f"与第 {seen[digest]} 行的手机号重复")
        if problems:
            result.add_error(number, "；".join(problems) + "。")
            continue
        seen[digest] = number
        org = line[cols["单位/职务"]] if "单位/职务" in cols else ""
        rows.append((name[:64], phone, category, org[:100]))
    if not rows and not result.errors:
        result.add_error(0, "文件中没有数据行。")
    if result.errors:
        return result
    with transaction.atomic():
        for name, phone, category, org in rows:
            invitation = Invitation(
                event=event, name=name, category=category, organization=org, code=_code()
            )
            invitation.phone = phone
            invitation.save()
        record(
            "invitation.imported",
            actor=actor,
            obj=event,
            changes={"count": len(rows)},
        )
    result.created = len(rows)
    return result


def _link(event, invitation, base_url):
    return f"{base_url}/events/{event.pk}/?invite={invitation.code}"


def send(actor, event, base_url):
    """Send every invitation not yet sent; a second click sends nothing twice."""
    now = timezone.now()
    sent = 0
    for invitation in event.invitations.filter(status=Invitation.Status.NEW):
        claimed = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.NEW).update(
            status=Invitation.Status.SENT, sent_at=now
        )
        if not claimed:
            continue
        with transaction.atomic():
            queue_message(
                OutboundMessage.Channel.SMS,
                invitation.phone,
                "",
                kind="invitation",
                params={
                    "name": invitation.name,
                    "unit": event.unit.name,
                    "event": event.title,
                    "time": f"{timezone.localtime(event.starts_at):%m月%d日 %H:%M}",
                    "link": _link(event, invitation, base_url),
                },
            )
        sent += 1
    if sent:
        record("invitation.sent", actor=actor, obj=event, changes={"count": sent})
    return sent


def remind(actor, event, base_url):
    """Remind those who were sent an invitation and have not answered, once a day at most."""
    now = timezone.now()
    day_ago = now - timezone.timedelta(hours=20)
    reminded = 0
    for invitation in event.invitations.filter(status=Invitation.Status.SENT):
        claimed = (
            Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENT)
            .exclude(reminded_at__gt=day_ago)
            .update(reminded_at=now)
        )
        if not claimed:
            continue
        with transaction.atomic():
            queue_message(
                OutboundMessage.Channel.SMS,
                invitation.phone,
                "",
                kind="invitation_reminder",
                params={
                    "name": invitation.name,
                    "event": event.title,
                    "link": _link(event, invitation, base_url),
                },
            )
        reminded += 1
    if reminded:
        record(
            "invitation.reminded",
            actor=actor,
            obj=event,
            changes={"count": reminded},
        )
    return reminded


def decline(code):
    code = clean_code(code)
    invitation = Invitation.objects.filter(code=code).first() if code else None
    if invitation is None or invitation.status == Invitation.Status.ACCEPTED:
        return invitation
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.DECLINED, answered_at=timezone.now()
    )
    invitation.refresh_from_db()
    return invitation


def letters_docx(event, base_url):
    """One printable letter per invitee, with the QR code of their personal link."""
    import segno
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Mm

    from openday.lib.official_doc import add_text

    document = Document()
    invitations = list(event.invitations.all())
    local = timezone.localtime(event.starts_at)
    place = "、".join(v.get("name", "") for v in event.venues)
    from .documents import _logo

    for i, invitation in enumerate(invitations):
        _logo(document, event)
        title = document.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_text(title, "邀 请 函", "方正小标宋简体", 26)
        greet = document.add_paragraph()
        add_text(greet, f"尊敬的{invitation.name}：", "仿宋_GB2312", 16)
        body = document.add_paragraph()
        body.paragraph_format.first_line_indent = Mm(11)
        add_text(
            body,
            (
                f"{event.unit.name}定于{local.year}年{local.month}月{local.day}日 {local:%H:%M}在{place}举办"
                f"“{event.title}”，诚挚邀请您拨冗参加。请用手机扫描下方二维码报名或谢绝。"
            ),
            "仿宋_GB2312",
            16,
        )
        png = io.BytesIO()
        segno.make_qr(_link(event, invitation, base_url), error="m").save(png, kind="png", scale=6)
        png.seek(0)
        qr = document.add_paragraph()
        qr.alignment = WD_ALIGN_PARAGRAPH.CENTER
        qr.add_run().add_picture(png, width=Mm(45))
        sign = document.add_paragraph()
        sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        add_text(sign, event.unit.name, "仿宋_GB2312", 16)
        if i < len(invitations) - 1:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    if not invitations:
        document.add_paragraph("邀请名单为空。")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def accept(invitation, registration):
    try:
        Invitation.objects.filter(pk=invitation.pk).update(
            status=Invitation.Status.ACCEPTED, answered_at=timezone.now(), registration=registration
        )
    except IntegrityError:
        pass
