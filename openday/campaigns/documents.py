"""The campaign's official documents (GB/T 9704-2012 .docx): the notice and the plan."""

from openday.lib.masking import mask_phone
from openday.lib.official_doc import OfficialDocument

from . import presets
from .workbooks import PLAN_HEADERS


def filled_body(campaign):
    return presets.fill_body(campaign)


def _place(campaign):
    office = campaign.office
    return office.region.name if office.region else office.display_name


def notice_docx(campaign):
    """通知 + 实施方案 + blank 申报表, as one document ready to print or upload."""
    office = campaign.office
    doc = OfficialDocument()
    doc.red_header(
        f"{office.name}文件", campaign.doc_number or f"{office.doc_code}〔{_today().year}〕  号"
    )
    doc.title(f"关于印发《{campaign.title}》的通知")
    doc.recipients(campaign.recipients)
    upper = ""
    if campaign.upper_documents.strip():
        upper = (
            "根据"
            + "、".join(
                line.strip() for line in campaign.upper_documents.splitlines() if line.strip()
            )
            + "的部署要求，"
        )
    doc.paragraph(
        f"{upper}《{campaign.title}》已经研究同意，现印发给你们，请结合实际认真贯彻落实。"
    )
    doc.signature(office.name, campaign.notice_issued_on or _today())
    doc.page_break()
    doc.title(campaign.title)
    if campaign.theme:
        doc.paragraph(f"活动主题：{campaign.theme}")
    doc.body(filled_body(campaign))
    form_title = f"{_place(campaign)}{campaign.year}年{campaign.kind_quoted}活动主题申报表"
    doc.attachment("附表", form_title)
    doc.line("填报单位（公章）：　　　　　　　　联系人：　　　　　　联系电话：")
    doc.table(
        ["序号", "活动主题", "活动时间（月份）", "活动形式", "活动简介"],
        [],
        [13, 34, 35, 24, 50],
        blank_rows=max(campaign.themes_per_unit, 3),
    )
    return doc.to_bytes()


def plan_docx(campaign, entries, *, full_phone):
    office = campaign.office
    doc = OfficialDocument()
    title = f"{_place(campaign)}{campaign.year}年{campaign.kind_quoted}活动计划安排表"
    doc.attachment("附件", title, landscape=True)
    rows = []
    for seq, e in enumerate(entries, start=1):
        phone = e.contact_phone
        if not full_phone and phone.startswith("1"):
            phone = mask_phone(phone)
        rows.append(
            [
                str(seq),
                e.unit.name,
                e.theme,
                f"{e.month}月",
                e.forms_label,
                e.intro,
                e.contact_name,
                phone,
            ]
        )
    doc.table(
        PLAN_HEADERS,
        rows,
        [13, 36, 40, 35, 26, 53, 16, 24],
    )
    doc.signature(office.name, _today())
    return doc.to_bytes()


def _today():
    from django.utils import timezone

    return timezone.localdate()
