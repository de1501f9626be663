"""The size cap on request bodies: 413 before anything reads a body that is too large.

Django raises RequestDataTooBig only when a view reads the body, as a 400; a sender who declares
a large Content-Length is answered here first, and the lazy case is turned into the same 413 by
the 400 handler and the API's exception handler.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def body_cap(request: HttpRequest) -> int:
    """Bytes a request may send: the upload cap for multipart forms, the data cap otherwise."""
    if request.content_type == "multipart/form-data":
        return settings.OPENDAY_UPLOAD_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:g}"


def too_large(request: HttpRequest, cap: int | None = None) -> HttpResponse:
    """The 413 answer: the API's error shape under /api/, a page in Chinese elsewhere."""
    cap = cap or body_cap(request)
    message = f"请求内容过大：不能超过 {_mb(cap)} MB。文件请压缩或拆分后再上传。"
    if request.path.startswith("/api/"):
        from openday.api.v1 import error

        return error("too_large", message, 413)
    context = {"title": "请求内容过大", "message": message, "code": 413}
    return render(request, "error.html", context, status=413)


class RequestSizeMiddleware:
    """Answers 413 when the declared Content-Length is over the cap."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        cap = body_cap(request)
        if length > cap:
            return too_large(request, cap)
        return self.get_response(request)
