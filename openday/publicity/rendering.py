"""An article's plain-text body as safe HTML, shared by the portal, the staff preview and the
exports (WeChat, bulletin board).

The body is plain text: a blank line starts a new paragraph, a line break inside a paragraph is
kept, and a line of its own such as "[图2]" places the article's second image there. Everything
typed is HTML-escaped; only the tags written here reach the page.
"""

import re

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

# "[图2]", also with full-width brackets or spaces, as typed on Chinese keyboards.
IMAGE_LINE = re.compile(r"^\s*[\[［【]\s*图\s*(\d{1,3})\s*[\]］】]\s*$")


def _join(parts, sep=""):
    # Every part comes from format_html or conditional_escape, so the joined string is safe.
    return mark_safe(sep.join(str(p) for p in parts))  # noqa: S308


def _lines(body):
    return (body or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def blocks(body):
    """[("p", [line, ...]) | ("image", n)] in reading order."""
    out, para = [], []

    def flush():
        if para:
            out.append(("p", list(para)))
            para.clear()

    for raw in _lines(body):
        line = raw.strip()
        match = IMAGE_LINE.match(line)
        if match:
            flush()
            out.append(("image", int(match.group(1))))
        elif not line:
            flush()
        else:
            para.append(line)
    flush()
    return out


def referenced(body):
    """Image numbers the body places, in order of first use."""
    seen = []
    for kind, value in blocks(body):
        if kind == "image" and value not in seen:
            seen.append(value)
    return seen


def renumber(body, mapping):
    """Rewrite "[图N]" lines after images moved or went: mapping {old n: new n or None (drop)}."""
    out = []
    for raw in _lines(body):
        match = IMAGE_LINE.match(raw.strip())
        if match and int(match.group(1)) in mapping:
            new = mapping[int(match.group(1))]
            if new is not None:
                out.append(f"[图{new}]")
            continue
        out.append(raw)
    return "\n".join(out)


def plain_text(body):
    """The body's words without image markers, paragraphs on their own lines."""
    return "\n".join("".join(v) for k, v in blocks(body) if k == "p")


def lead_of(article, limit=120):
    """The article's 导语, or the start of its first paragraph."""
    if article.lead:
        return article.lead
    for kind, value in blocks(article.body):
        if kind == "p":
            text = "".join(value)
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""


def _attrs(styles, tag, css_class=""):
    """' style="…"' in inline mode (exports), ' class="…"' on the site."""
    if styles is not None:
        return format_html(' style="{}"', styles.get(tag, ""))
    return format_html(' class="{}"', css_class) if css_class else ""


def render(body, images, src, *, styles=None, preview=False, append_unplaced=True):
    """The body as HTML. images: the article's images in order; src(image, n) gives each one's
    address. styles: {tag: css} to write every style inline (for WeChat) instead of classes.
    preview: show a warning where the body places an image that was not uploaded. Images the
    body does not place are shown after the text."""
    images = list(images)
    parts, placed = [], set()
    for kind, value in blocks(body):
        if kind == "p":
            text = _join((conditional_escape(line) for line in value), "<br>")
            parts.append(format_html("<p{}>{}</p>", _attrs(styles, "p"), text))
        elif 1 <= value <= len(images):
            placed.add(value)
            parts.append(figure(images[value - 1], value, src, styles=styles))
        elif preview:
            missing = "<p{}>[图{}] 位置的图片尚未上传（现有 {} 张图片）。</p>"
            attrs = _attrs(styles, "p", "article-missing")
            parts.append(format_html(missing, attrs, value, len(images)))
    if append_unplaced:
        for n, image in enumerate(images, start=1):
            if n not in placed:
                parts.append(figure(image, n, src, styles=styles))
    return _join(parts)


def figure(image, n, src, *, styles=None):
    caption = image.caption or ""
    size = ""
    if image.width and image.height:
        size = format_html(' width="{}" height="{}"', image.width, image.height)
    # Exports keep only what the WeChat editor accepts; the site loads images lazily.
    tag = (
        '<img{} src="{}" alt="{}"{}>'
        if styles is not None
        else '<img{} src="{}" alt="{}"{} loading="lazy">'
    )
    img = format_html(tag, _attrs(styles, "img"), src(image, n), caption or f"图{n}", size)
    cap = format_html("<figcaption{}>{}</figcaption>", _attrs(styles, "figcaption"), caption)
    return format_html(
        "<figure{}>{}{}</figure>",
        _attrs(styles, "figure", "article-figure"),
        img,
        cap if caption else "",
    )
