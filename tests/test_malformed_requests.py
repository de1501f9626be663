"""Malformed ids, numbers and bodies get a 4xx with a bounded answer; imports and images have caps."""

import io
import json
import re
import struct
import zlib
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLResolver
from openpyxl import Workbook

from openday.accounts.services import create_token
from openday.lib import images
from openday.orgs.tree_xlsx import ORG_HEADERS, REGION_HEADERS

from .conftest import KAIFU

BAD_VALUES = ["0", "-1", "99999999999999999999", "abc", "１２", "%00"]
BAD_QUERY = (
    "?page=-1&year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%93&offset=-5&limit=-1&parent=abc&office=x"
    "&target=zzz&event=abc&campaign=99999999999999999999&unit=%00&org=abc&plan_entry=abc"
    "&date=2024-13-45&week=x&status=zzz&kind=zzz&channel=zzz&batch=%00&event_id=abc&mine=x"
)


def bearer(user):
    _token, raw = create_token(user)
    return {"Authorization": f"Bearer {raw}"}


def _xlsx(workbook):
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def _upload(data, name="tree.xlsx"):
    f = io.BytesIO(data)
    f.name = name
    return f


def _png_header(width, height):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return images.PNG_MAGIC + chunk + b"\x00" * 64


# --- Malformed numbers ----------------------------------------------------------------------


def test_a_non_numeric_parent_id_on_the_new_org_form_is_a_404(client, world):
    world.client_for(client, "kf_office")
    assert client.get("/staff/orgs/new/?parent=abc").status_code == 404
    assert client.get("/staff/orgs/new/?parent=99999999999999999999").status_code == 404
    assert client.get(f"/staff/orgs/new/?parent={world.kaifu.pk}").status_code == 200


def test_a_full_width_year_is_read_as_the_year(client, world):
    world.client_for(client, "kf_office")
    response = client.get("/staff/opinion-figures/?year=２０２３")
    assert response.status_code == 200
    assert client.get("/staff/opinion-figures/?year=abc").status_code == 400
    assert client.get("/staff/opinion-figures/?year=99999999999999999999").status_code == 400


def test_a_negative_offset_in_the_staff_opinions_api_is_a_422(client, world):
    headers = bearer(world.users["kf_office"])
    response = client.get("/api/v1/staff/opinions?offset=-1", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert client.get("/api/v1/staff/opinions?offset=0", headers=headers).status_code == 200


def test_a_twenty_digit_id_is_a_404_in_a_staff_url(client, world):
    world.client_for(client, "operator")
    assert client.get("/staff/events/99999999999999999999/").status_code == 404
    assert client.get("/staff/events/9999999999999999999/").status_code == 404  # 19 digits > 2^63
    assert client.get("/staff/events/0/").status_code == 404


def test_a_twenty_digit_id_is_a_4xx_in_an_api_path(client, world):
    headers = bearer(world.users["kf_office"])
    for path in ("/api/v1/events/99999999999999999999", "/api/v1/orgs/9999999999999999999"):
        response = client.get(path, headers=headers)
        assert response.status_code in (404, 422), path
        assert response.json()["error"]["code"] in ("not_found", "invalid")


# --- Bodies ---------------------------------------------------------------------------------


def test_a_json_body_over_the_cap_is_a_413_with_the_error_shape(client, world, settings):
    body = json.dumps({"answers": {"q": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}})
    response = client.post("/api/v1/surveys/1/responses", body, content_type="application/json")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large" and "MB" in error["message"]


def test_a_page_body_over_the_cap_is_a_413_page_in_chinese(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/opinions/new/", {"content": "x" * 5000})
    assert response.status_code == 413
    assert "请求内容过大" in response.content.decode()


def test_a_survey_body_with_100000_bad_answers_gets_a_bounded_422(client, world):
    from openday.surveys import services

    admin = world.users["unit_admin"]
    survey = services.create_survey(admin, world.housing, template="event")
    services.set_status(admin, survey, "open")
    answers = {str(1_000_000 + i): "x" * 20 for i in range(100_000)}
    body = json.dumps({"answers": answers, "device_id": "d" * 20, "consent": True})
    assert 2_500_000 < len(body) < 10 * 1024 * 1024
    response = client.post(
        f"/api/v1/surveys/{survey.pk}/responses", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert len(response.content) < 20_000
    error = response.json()["error"]
    assert len(error["details"]) == 20 and error["total"] >= 100_000


def test_a_huge_survey_body_gets_a_bounded_422(client, world):
    answers = [{"question": i, "value": {"bad": "x" * 20}} for i in range(100_000)]
    body = json.dumps({"answers": answers, "consent": "x" * 1000})
    assert 2_500_000 < len(body) < 10 * 1024 * 1024
    response = client.post("/api/v1/surveys/1/responses", body, content_type="application/json")
    assert response.status_code == 422
    assert len(response.content) < 20_000
    error = response.json()["error"]
    assert error["code"] == "invalid" and len(error["details"]) <= 20


# --- Imports --------------------------------------------------------------------------------


def _org_book(rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "行政区划"
    ws.append(REGION_HEADERS)
    ws2 = wb.create_sheet("组织")
    ws2.append(ORG_HEADERS)
    for row in rows:
        ws2.append(list(row))
    return _xlsx(wb)


def test_a_workbook_that_expands_past_the_cap_is_refused_before_parsing(client, world, settings):
    settings.OPENDAY_IMPORT_MAX_UNCOMPRESSED_BYTES = 200_000
    rows = [(f"单位{i}", "", "单位", KAIFU, "", "", "", "", "") for i in range(3000)]
    data = _org_book(rows)
    assert len(data) < settings.OPENDAY_IMPORT_MAX_UNCOMPRESSED_BYTES
    world.client_for(client, "kf_office")
    response = client.post("/staff/orgs/import/", {"file": _upload(data)})
    page = response.content.decode()
    assert response.status_code == 400
    assert "文件解压后超过" in page and "上限" in page


def test_a_workbook_with_too_many_rows_is_refused(world, settings):
    from openday.lib.spreadsheet import open_workbook

    settings.OPENDAY_IMPORT_MAX_ROWS = 50
    wb = Workbook()
    for i in range(60):
        wb.active.append([f"行{i}"])
    workbook, problem = open_workbook(_xlsx(wb))
    assert workbook is None and "50 行" in problem
    wb = Workbook()
    wb.active.append(["x"] * 5)
    wb.active.cell(row=1, column=150, value="远处的格子")
    workbook, problem = open_workbook(_xlsx(wb))
    assert workbook is None and "列" in problem


def test_a_workbook_whose_sheet_claims_a_far_row_is_refused(world, settings):
    from openday.lib.spreadsheet import open_workbook

    wb = Workbook()
    wb.active.append(["表头"])
    wb.active.cell(row=settings.OPENDAY_IMPORT_MAX_ROWS + 5, column=1, value="很远的一行")
    workbook, problem = open_workbook(_xlsx(wb))
    assert workbook is None and "行" in problem


def test_an_org_import_with_thousands_of_bad_rows_shows_a_bounded_page(client, world, settings):
    rows = [(f"坏电话单位{i}", "", "单位", KAIFU, "", "", "123", "", "") for i in range(3000)]
    world.client_for(client, "kf_office")
    response = client.post("/staff/orgs/import/", {"file": _upload(_org_book(rows))})
    page = response.content.decode()
    assert response.status_code == 400
    shown = settings.OPENDAY_IMPORT_ERRORS_SHOWN
    assert page.count("联系电话格式不正确") == shown
    assert "共 3000 行有问题" in page
    assert len(page) < 200_000


# --- Images ---------------------------------------------------------------------------------


def test_a_png_claiming_60000_by_60000_pixels_is_refused_from_its_header(world):
    from django.core.exceptions import ValidationError

    from openday.publicity.services import check_image

    data = _png_header(60000, 60000)
    assert images.image_info(data) == ("png", 60000, 60000)
    with pytest.raises(images.BadImage, match="像素"):
        images.check_upload(data, name="巨图.png", max_mb=5)
    with pytest.raises(ValidationError, match="像素"):
        check_image(SimpleUploadedFile("巨图.png", data, content_type="image/png"))
    assert images.check_upload(_png_header(4000, 3000), max_mb=5) == ("png", 4000, 3000)


def test_one_long_side_is_refused_even_under_the_pixel_cap(world, settings):
    with pytest.raises(images.BadImage, match=str(settings.OPENDAY_IMAGE_MAX_SIDE)):
        images.check_upload(_png_header(settings.OPENDAY_IMAGE_MAX_SIDE + 1, 10), max_mb=5)


# --- Every URL with malformed values --------------------------------------------------------


def _routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _fill(route, value):
    route = route.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + PARAM.sub(lambda _m: quote(value, safe="%"), route)


def _request(client, url, headers):
    response = client.get(url, headers=headers)
    if response.status_code == 405:
        response = client.post(url, {}, headers=headers)
    return response


def test_no_url_answers_500_to_malformed_values(world):
    client = Client(raise_request_exception=False)
    routes = sorted(set(_routes(get_resolver().url_patterns)))
    routes = [r for r in routes if not r.endswith("logout/")]
    api_headers = {"anonymous": {}} | {p: bearer(world.users[p]) for p in ("operator", "kf_office")}
    failures = []
    for persona in ("anonymous", "operator", "kf_office"):
        world.client_for(client, persona)
        for route in routes:
            headers = api_headers[persona] if route.startswith("api/") else {}
            if PARAM.search(route):
                urls = [_fill(route, value) for value in BAD_VALUES]
            else:
                urls = [_fill(route, "") + BAD_QUERY]
            for url in urls:
                response = _request(client, url, headers)
                if response.status_code >= 500:
                    failures.append((persona, url, response.status_code))
    assert not failures, "\n".join(f"{p} {u} {s}" for p, u, s in failures)
