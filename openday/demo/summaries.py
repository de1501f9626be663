"""Demo data for summaries: photos and a submitted summary of 沙日浩来镇's held open day (seed 000)."""

from datetime import date

from django.core.files.base import ContentFile
from django.utils import timezone

from openday.accounts.models import User
from openday.demo import seed_data as seed
from openday.demo import services as seed_services
from openday.events.models import Event
from openday.lib.images import rgb_png
from openday.lib.official_doc import chinese_date
from openday.summaries import photos
from openday.summaries import services as summaries
from openday.summaries.models import EventPhoto, EventSummary

DEMO_PHOTOS = [
    ("综合服务大厅浏览介绍，背景为活动会标和LOGO", True, (0x1F, 0x4E, 0x8C)),
    ("孟和杭沙尔村低水高调工程项目区实地观摩", False, (0x3C, 0x8D, 0x2F)),
]

DEMO_TEXT = {
    "overview": (
        "2023年6月6日上午，我镇以“共同参与，以开放促发展”为主题举办“政府开放日”活动，邀请人大代表、"
        "政协委员、劳模道德模范、媒体记者、企业和个体工商户代表及普通群众走进镇政府综合服务大厅和"
        "孟和杭沙尔村低水高调工程项目区，通过浏览介绍、实地观摩、座谈交流三个环节，让群众了解政府运行、"
        "监督政府工作。"
    ),
    "experiences": (
        "（一）提前谋划，分工明确。成立“政府开放日”活动工作领导小组，活动前召开专题会议，明确各办公室"
        "开放内容、讲解人员和活动流程，确保活动有序开展。\n"
        "（二）内容贴近群众，看得到、听得懂。浏览介绍环节由专人讲解各部门职能、办事程序和联系方式；"
        "实地观摩选取群众关心的低水高调工程项目区，现场介绍项目建设和收益情况。\n"
        "（三）面对面交流，现场收集意见。座谈交流环节由镇主要负责同志与公众代表面对面沟通，"
        "发放调查问卷，逐条记录意见建议并明确认领责任人。"
    ),
    "shortcomings": (
        "一是座谈交流时间偏短，部分代表未能充分发言；二是普通群众特别是村民代表名额偏少，"
        "覆盖面还不够广；三是活动前期宣传主要依靠工作人员邀请，群众通过公众号等渠道知晓的比例不高。"
    ),
    "causes": (
        "活动议程安排过满，对座谈环节的时长预估不足；名额分配时优先保障了各类代表，"
        "对村民参与考虑不够；镇微信公众号、宣传栏等渠道的预告发布时间较晚。"
    ),
    "next_steps": (
        "一是把开放日活动制度化、常态化，每年结合重点工作确定开放主题；二是适当延长座谈时间，"
        "会后通过意见卡继续收集书面意见；三是增加村民代表名额，提前一周通过公众号和村务公开栏发布预告；"
        "四是对收集的意见建议逐条办理、按期答复，采纳及整改结果及时公开，并开展电话回访。"
    ),
}


def demo_png(width, height, background, banner=(0xC0, 0x39, 0x2B), logo=(0xFF, 0xFF, 0xFF)):
    """A small RGB PNG: a red banner (会标) across the top and a white LOGO square in its corner."""
    rows = []
    band = max(1, height // 5)
    for y in range(height):
        line = bytearray()
        for x in range(width):
            if y < band:
                on_logo = band // 4 <= y < band - band // 4 and band // 4 <= x < band
                line += bytes(logo if on_logo else banner)
            else:
                line += bytes(background)
        rows.append(bytes(line))
    return rgb_png(width, height, rows)


def demo_text(day: date) -> dict[str, str]:
    """The summary's text for the open day held on day."""
    overview = DEMO_TEXT["overview"].replace("2023年6月6日", chinese_date(day), 1)
    return {**DEMO_TEXT, "overview": overview}


def load_demo_summaries(year: int = 2023) -> EventSummary | None:
    """Photos and a submitted summary for the town's held open day; safe to run again."""
    event = (
        Event.objects.filter(unit__name=seed.TOWN, title=seed_services.town_event_title(year))
        .select_related("unit")
        .first()
    )
    admin = User.objects.filter(username="shrhl-admin").first()
    if event is None or admin is None:
        return None
    if not EventPhoto.objects.filter(event=event).exists():
        for i, (caption, shows_logo, colour) in enumerate(DEMO_PHOTOS, 1):
            upload = ContentFile(demo_png(160, 120, colour), name=f"demo-{i}.png")
            photos.add_photo(admin, event, upload, caption, shows_logo, True)
    summary = EventSummary.objects.filter(event=event).first()
    text = demo_text(timezone.localtime(event.starts_at).date())
    if summary is None or summary.status == EventSummary.Status.DRAFT:
        if event.status in (Event.Status.HELD, Event.Status.SUMMARIZED):
            summaries.submit_summary(admin, event, text)
        else:
            summaries.save_summary(admin, event, text)
    return EventSummary.objects.get(event=event)
