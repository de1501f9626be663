"""The 会标 banner for the backdrop screen, as SVG: it scales to any screen without blurring.

Text is drawn with the screen computer's Chinese fonts (黑体 family); nothing is rasterized
here, so no font files are needed on the server.
"""

from django.utils import timezone
from django.utils.html import escape

from openday.lib.export_text import xml_text

WIDTH, HEIGHT = 1920, 1080
FONTS = (
    "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','SimHei','PingFang SC',sans-serif"
)


def _split(title):
    """One line when short; else break after 暨 or near the middle, never inside quotes."""
    if len(title) <= 16:
        return [title]
    if "暨" in title:
        head, tail = title.split("暨", 1)
        return [head, "暨" + tail]
    middle = len(title) // 2
    for offset in range(0, middle):
        for i in (middle + offset, middle - offset):
            if (
                0 < i < len(title)
                and title[i - 1] in "”活动年）"
                and title.count("“", 0, i) == title.count("”", 0, i)
            ):
                return [title[:i], title[i:]]
    return [title[:middle], title[middle:]]


def _size(line, width):
    # A CJK character is about one em wide; keep a margin of 10% on each side.
    return max(48, min(120, int(width * 0.8 / max(len(line), 1))))


def banner_svg(event):
    lines = _split(xml_text(event.title))
    size = min(_size(line, WIDTH) for line in lines)
    label = (
        "政务公开主题日"
        if (event.campaign and event.campaign.kind == "theme_day")
        else "政府开放日"
    )
    local = timezone.localtime(event.starts_at)
    place = "、".join(v.get("name", "") for v in event.venues)
    footer = xml_text(f"{local.year}年{local.month}月{local.day}日 · {place} · {event.unit.name}")
    footer_size = max(24, min(44, int(WIDTH * 0.85 / max(len(footer), 1))))
    from openday.campaigns.logo import logo_data_uri

    uri = logo_data_uri(event.campaign)
    if uri:
        # The campaign's own LOGO where the office uploaded one (seed 003: 醒目标识).
        mark = (
            f'<image href="{uri}" x="{WIDTH / 2 - 300}" y="90" width="600" height="180" '
            f'preserveAspectRatio="xMidYMid meet"/>'
        )
    else:
        mark = (
            f'<g transform="translate({WIDTH / 2},170)">'
            f'<rect x="-230" y="-55" width="460" height="110" rx="55" fill="#f5d36b"/>'
            f'<text y="4" font-size="56" font-weight="700" fill="#b3261e" text-anchor="middle" '
            f'dominant-baseline="middle">“{label}”</text></g>'
        )
    top = HEIGHT / 2 - (len(lines) - 1) * size * 0.65
    texts = "".join(
        f'<text x="{WIDTH / 2}" y="{top + i * size * 1.3:.0f}" font-size="{size}" '
        f'font-weight="700" fill="#fff" text-anchor="middle" dominant-baseline="middle">'
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" font-family="{FONTS}">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#b3261e"/>'
        f'<rect x="40" y="40" width="{WIDTH - 80}" height="{HEIGHT - 80}" fill="none" '
        f'stroke="#f5d36b" stroke-width="6"/>'
        f"{mark}"
        f"{texts}"
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 150}" font-size="{footer_size}" fill="#fde9b0" '
        f'text-anchor="middle">{escape(footer)}</text>'
        f"</svg>"
    )
