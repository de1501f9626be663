"""An article ready for the WeChat official account (微信公众号) editor.

The editor keeps only inline styles: it drops style sheets, scripts and class names, and it
cannot fetch images from our server. So the export is one self-contained HTML file in which
every element carries its own style attribute, with no <link>, <script>, <style> or class;
each image's src is a placeholder file name ("images/01.jpg"), and the file lists the images to
upload to the account's 素材库 first. The zip holds article.html and the images folder.
"""

import io
import zipfile
from pathlib import PurePosixPath

from django.utils import timezone
from django.utils.html import format_html

from . import rendering
from .bulletin import public_url

FONT = "-apple-system, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', sans-serif"
STYLES = {
    "body": "margin:0;padding:16px;background:#ffffff;",
    "section": f"max-width:677px;margin:0 auto;font-family:{FONT};color:#333333;font-size:16px;"
    "line-height:1.75;letter-spacing:0.5px;",
    "h1": "font-size:22px;line-height:1.4;margin:0 0 12px;color:#111111;font-weight:bold;",
    "meta": "font-size:14px;color:#888888;margin:0 0 16px;",
    "lead": "font-size:15px;color:#555555;background:#f7f7f7;border-left:3px solid #b3261e;"
    "padding:10px 12px;margin:0 0 20px;",
    "p": "margin:0 0 16px;text-align:justify;text-indent:2em;",
    "figure": "margin:0 0 16px;padding:0;text-align:center;",
    "img": "max-width:100%;height:auto;display:block;margin:0 auto;",
    "figcaption": "font-size:13px;color:#888888;margin:6px 0 0;text-align:center;",
    "footer": "font-size:13px;color:#888888;margin:24px 0 0;padding:10px 0 0;"
    "border-top:1px solid #eeeeee;",
    "guide": f"max-width:677px;margin:0 auto 24px;padding:12px 16px;border:2px dashed #b3261e;"
    f"background:#fff8f7;font-family:{FONT};font-size:14px;line-height:1.7;color:#333333;",
    "guide_p": "margin:0 0 8px;",
    "guide_strong": "color:#b3261e;",
    "ol": "margin:0 0 8px;padding:0 0 0 24px;",
    "li": "margin:0 0 4px;",
    "code": "font-family:Menlo,Consolas,monospace;background:#f0f0f0;padding:0 4px;",
}


def image_files(images):
    """[(image, "images/01.jpg")] in the article's order."""
    out = []
    for n, image in enumerate(images, start=1):
        ext = PurePosixPath(image.image.name).suffix.lower() or ".jpg"
        out.append((image, f"images/{n:02d}{ext}"))
    return out


def _s(key):
    return format_html(' style="{}"', STYLES[key])


def wechat_html(article, *, base_url=""):
    """The whole file as a string."""
    images = list(article.images.order_by("position", "id"))
    files = dict((image.pk, name) for image, name in image_files(images))
    body = rendering.render(article.body, images, lambda image, n: files[image.pk], styles=STYLES)
    when = timezone.localtime(article.published_at or timezone.now())
    meta = f"{article.unit.name}　{when:%Y-%m-%d}"
    if article.author_name:
        meta = f"{article.author_name}　{meta}"
    lead = rendering.lead_of(article) if article.lead else ""
    url = public_url(article, base_url)
    guide_items = [
        format_html(
            "<li{}><code{}>{}</code>{}</li>",
            _s("li"),
            _s("code"),
            name,
            f"（{image.caption}）" if image.caption else "",
        )
        for image, name in image_files(images)
    ]
    guide = format_html(
        "<div{}><p{}><strong{}>使用说明（虚线框内的文字不要复制到公众号）</strong></p>{}"
        "<p{}>复制虚线框以下的全部内容，粘贴到公众号编辑器的正文中，再把每张占位图片替换为素材库中对应的图片。</p></div>",
        _s("guide"),
        _s("guide_p"),
        _s("guide_strong"),
        format_html(
            "<p{}>1. 请先上传以下图片（在图文包的 images 文件夹中）到公众号“素材库”：</p><ol{}>{}</ol>",
            _s("guide_p"),
            _s("ol"),
            rendering._join(guide_items),
        )
        if images
        else format_html("<p{}>本文没有图片。</p>", _s("guide_p")),
        _s("guide_p"),
    )
    section = format_html(
        "<section{}><h1{}>{}</h1><p{}>{}</p>{}{}<p{}>来源：{}{}</p></section>",
        _s("section"),
        _s("h1"),
        article.title,
        _s("meta"),
        meta,
        format_html("<p{}>{}</p>", _s("lead"), lead) if lead else "",
        body,
        _s("footer"),
        article.unit.name,
        format_html("　原文：{}", url) if url else "",
    )
    page = (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{}</title>'
        "</head>\n<body{}>\n{}\n{}\n</body></html>\n"
    )
    return str(format_html(page, article.title, _s("body"), guide, section))


def wechat_zip(article, *, base_url=""):
    """article.html and images/NN.ext, as bytes of a zip file."""
    buffer = io.BytesIO()
    images = list(article.images.order_by("position", "id"))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("article.html", wechat_html(article, base_url=base_url))
        for image, name in image_files(images):
            try:
                with image.image.open("rb") as handle:
                    archive.writestr(name, handle.read())
            except (FileNotFoundError, ValueError):
                archive.writestr(f"{name}.缺失.txt", "这张图片的文件已不存在，请重新上传。")
    return buffer.getvalue()
