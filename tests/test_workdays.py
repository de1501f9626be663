"""Working days against the real 2023-2026 calendars, estimated years, edits and imports."""

import datetime as dt
import io

import chinese_calendar
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from openday.audit.models import AuditEntry
from openday.lib.imports import RowError
from openday.workdays import services
from openday.workdays.models import SpecialDay
from openday.workdays.services import (
    Due,
    add_working_days,
    clear_day,
    import_days,
    is_working_day,
    set_day,
    working_days_between,
    years_known,
)

D = dt.date

# A made-up 2027 arrangement in the State Council's wording (weekdays are 2027's).
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。2月14日（周日）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。
"""

NOTICE_2024 = """一、元旦：1月1日放假，与周末连休。
二、春节：2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班。鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月9日）休息。
三、清明节：4月4日至6日放假调休，共3天。4月7日（星期日）上班。
四、劳动节：5月1日至5日放假调休，共5天。4月28日（星期日）、5月11日（星期六）上班。
五、端午节：6月10日放假，与周末连休。
六、中秋节：9月15日至17日放假调休，共3天。9月14日（星期六）上班。
七、国庆节：10月1日至7日放假调休，共7天。9月29日（星期日）、10月12日（星期六）上班。"""

# 2025's notice pasted as one paragraph, weekdays written 周X.
NOTICE_2025 = (
    "一、元旦：1月1日（周三）放假1天，不调休。二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、"
    "周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。三、清明节：4月4日（周五）至6日（周日）"
    "放假，共3天。四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。五、端午节："
    "5月31日（周六）至6月2日（周一）放假，共3天。六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，"
    "共8天。9月28日（周日）、10月11日（周六）上班。"
)


def _official(year):
    """chinese-calendar's {(date, kind)} of one year."""
    return {(d, "holiday") for d in chinese_calendar.holidays if d.year == year} | {
        (d, "workday") for d in chinese_calendar.workdays if d.year == year
    }


def _parsed(text, year):
    errors = []
    entries = services.parse_notice(text, year, errors)
    return {(e.date, e.kind) for e in entries}, errors


def _book(rows, header=True):
    wb = Workbook()
    ws = wb.active
    ws.title = "放假调休"
    if header:
        ws.append(services.HEADERS)
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- The built-in calendar ------------------------------------------------------------------


def test_a_fresh_database_has_the_official_2023_to_2026_calendar(db):
    assert years_known() == {2023, 2024, 2025, 2026}
    for year in range(2023, 2027):
        rows = set(SpecialDay.objects.filter(date__year=year).values_list("date", "kind"))
        assert rows == _official(year), year
    assert SpecialDay.objects.exclude(source="seed").count() == 0
    assert SpecialDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert SpecialDay.objects.get(date=D(2024, 2, 18)).kind == "workday"
    assert SpecialDay.objects.get(date=D(2024, 2, 18)).name == "春节"


def test_built_in_days_can_be_put_back_after_a_flush(db):
    from openday.workdays.builtin import builtin_rows

    seeded = set(SpecialDay.objects.values_list("date", "kind", "name", "source"))
    assert seeded == {(r["date"], r["kind"], r["name"], r["source"]) for r in builtin_rows()}
    assert services.seed_builtin() == 0
    SpecialDay.objects.filter(date__year__gte=2025).delete()
    assert years_known() == {2023, 2024}
    assert services.seed_builtin() == len(_official(2025) | _official(2026))
    assert years_known() == {2023, 2024, 2025, 2026}


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2023, 9, 28), 1, D(2023, 10, 7)),  # Saturday make-up day after 中秋国庆
        (D(2023, 10, 7), 1, D(2023, 10, 8)),  # and the Sunday after it
        (D(2024, 2, 8), 1, D(2024, 2, 9)),  # 除夕 2024 was an ordinary Friday
        (D(2024, 2, 9), 1, D(2024, 2, 18)),  # Sunday make-up day after 春节
        (D(2025, 1, 20), 15, D(2025, 2, 14)),  # across 春节 2025 and both make-up days
        (D(2026, 9, 18), 1, D(2026, 9, 20)),  # Sunday make-up day before 国庆 2026
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 2, D(2026, 10, 9)),
        (D(2026, 10, 9), 1, D(2026, 10, 10)),  # Saturday make-up day
        (D(2026, 10, 9), 2, D(2026, 10, 12)),
        (D(2026, 10, 1), 0, D(2026, 10, 8)),  # n=0 on a holiday: the next working day
        (D(2026, 10, 10), 0, D(2026, 10, 10)),  # n=0 on a working Saturday: itself
        (D(2026, 11, 2), 0, D(2026, 11, 2)),
    ],
)
def test_adding_working_days_over_the_real_calendars(db, start, n, due):
    assert add_working_days(start, n) == Due(due, estimated=False)
    if n:
        assert working_days_between(start, due) == n
        assert working_days_between(due, start) == -n


def test_working_days_of_the_real_calendars(db):
    assert is_working_day(D(2023, 10, 7)) and is_working_day(D(2024, 2, 18))
    assert not is_working_day(D(2025, 1, 28)) and not is_working_day(D(2026, 10, 7))
    assert not is_working_day(D(2026, 11, 7))  # an ordinary Saturday
    assert is_working_day(D(2026, 11, 6))
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 1)) == 0
    # 2026-09-30 (Wed) to 2026-10-31: 8th, 9th, Saturday 10th, then 15 weekdays
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 31)) == 18
    # datetimes count as their (local) dates
    assert add_working_days(dt.datetime(2023, 9, 28, 17, 30), 1).date == D(2023, 10, 7)


def test_a_negative_count_is_a_programming_error(db):
    with pytest.raises(ValueError):
        add_working_days(D(2026, 1, 5), -1)


# --- Years with no data ---------------------------------------------------------------------


def test_a_year_without_data_is_estimated_from_weekends_and_statutory_days(db):
    assert 2027 not in years_known() and 2030 not in years_known()
    # 2027-01-01 is a Friday: 元旦 by rule, then the weekend.
    assert add_working_days(D(2026, 12, 31), 1) == Due(D(2027, 1, 4), estimated=True)
    assert add_working_days(D(2026, 12, 30), 1) == Due(D(2026, 12, 31), estimated=False)
    # 2030-10-01..03 are 国庆节 by rule (Tuesday to Thursday); no 调休 is known.
    assert add_working_days(D(2030, 9, 30), 1) == Due(D(2030, 10, 4), estimated=True)
    assert add_working_days(D(2029, 12, 31), 1) == Due(D(2030, 1, 2), estimated=True)
    assert not is_working_day(D(2030, 1, 1)) and not is_working_day(D(2027, 10, 1))
    assert not is_working_day(D(2030, 1, 5))  # a Saturday
    assert is_working_day(D(2030, 1, 2))
    assert working_days_between(D(2030, 9, 30), D(2030, 10, 4)) == 1
    due = add_working_days(D(2027, 9, 30), 10)
    assert due.estimated and due.label.endswith("（预计）")


def test_estimating_never_fails(db, monkeypatch):
    # Far outside what the rules package covers: weekends only, still an answer.
    assert add_working_days(D(2101, 1, 1), 5) == Due(D(2101, 1, 7), estimated=True)
    assert add_working_days(D(1900, 1, 1), 1).estimated
    import holidays

    def broken(**kwargs):
        raise RuntimeError("rules package broke")

    services.statutory_days.cache_clear()
    monkeypatch.setattr(holidays, "China", broken)
    try:
        assert add_working_days(D(2031, 9, 30), 1) == Due(D(2031, 10, 1), estimated=True)
    finally:
        services.statutory_days.cache_clear()


# --- Editing --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def calendar_authority(request, settings):
    """These tests' deployment names the two district offices as keepers of the calendar."""
    if "world" not in request.fixturenames:
        return
    world = request.getfixturevalue("world")
    settings.OPENDAY_CALENDAR_AUTHORITY = [world.kaifu.region.code, world.naiman.region.code]


def test_editing_a_day_changes_results_at_once(world, alice):
    assert add_working_days(D(2026, 9, 30), 1).date == D(2026, 10, 8)
    set_day(alice, D(2026, 10, 8), "holiday", "国庆节")
    assert add_working_days(D(2026, 9, 30), 1).date == D(2026, 10, 9)
    row = SpecialDay.objects.get(date=D(2026, 10, 8))
    assert (row.source, row.updated_by) == ("manual", alice)
    assert clear_day(alice, D(2026, 10, 8)) is True
    assert clear_day(alice, D(2026, 10, 8)) is False
    assert add_working_days(D(2026, 9, 30), 1).date == D(2026, 10, 8)
    # The first day entered for 2027 makes it a known year.
    set_day(alice, D(2027, 10, 1), "holiday", "国庆节")
    assert 2027 in years_known()
    assert add_working_days(D(2027, 9, 30), 1) == Due(D(2027, 10, 4), estimated=False)
    actions = list(
        AuditEntry.objects.filter(action__startswith="workdays.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["workdays.clear", "workdays.set", "workdays.set"]
    entry = AuditEntry.objects.filter(action="workdays.set").first()
    assert entry.org == world.kaifu and entry.action_label == "修改工作日历"


def test_a_change_made_elsewhere_is_seen_on_the_next_call(db):
    assert not is_working_day(D(2026, 10, 1))
    # As another process would: straight to the table, this process's copy untouched.
    SpecialDay.objects.filter(date=D(2026, 10, 1)).delete()
    assert is_working_day(D(2026, 10, 1))
    SpecialDay.objects.create(date=D(2026, 11, 2), kind="holiday", name="测试")
    assert not is_working_day(D(2026, 11, 2))


def test_by_default_only_operators_keep_the_shared_calendar(world, settings):
    # One district's office must not change the calendar every district uses.
    settings.OPENDAY_CALENDAR_AUTHORITY = []
    for persona in ("kf_office", "nm_office", "unit_admin", "town_admin", "kf_viewer"):
        with pytest.raises(PermissionDenied, match="系统运维"):
            set_day(world.users[persona], D(2027, 1, 1), "holiday", "元旦")
    set_day(world.users["operator"], D(2027, 1, 1), "holiday", "元旦")
    # An authority named by its region code: that office's admins only, not its units.
    settings.OPENDAY_CALENDAR_AUTHORITY = [world.naiman.region.code]
    set_day(world.users["nm_office"], D(2027, 1, 2), "holiday", "元旦")
    for persona in ("kf_office", "town_admin"):
        with pytest.raises(PermissionDenied):
            set_day(world.users[persona], D(2027, 1, 3), "holiday", "元旦")
    assert SpecialDay.objects.filter(date__year=2027).count() == 2


def test_a_district_office_sees_the_calendar_but_no_edit_controls(world, client, settings):
    settings.OPENDAY_CALENDAR_AUTHORITY = []
    c = world.client_for(client, "kf_office")
    page = c.get("/staff/workdays/2027/").content.decode()
    assert "2027年工作日历" in page and "录入或修改一天" not in page and "导入放假安排" not in page
    r = c.post("/staff/workdays/2027/", {"action": "set", "date": "2027-10-01", "kind": "holiday"})
    assert r.status_code == 403
    assert c.get("/staff/workdays/import/").status_code == 403
    assert not SpecialDay.objects.filter(date__year=2027).exists()


def test_only_office_admins_and_operators_edit(world, bob):
    with pytest.raises(PermissionDenied):
        set_day(bob, D(2027, 1, 1), "holiday", "元旦")
    with pytest.raises(PermissionDenied):
        clear_day(world.users["kf_viewer"], D(2026, 10, 1))
    with pytest.raises(PermissionDenied):
        import_days(world.users["town_admin"], NOTICE_2027, year=2027)
    set_day(world.users["operator"], D(2027, 1, 1), "holiday", "元旦")
    set_day(world.users["nm_office"], D(2027, 1, 2), "holiday", "元旦")
    assert SpecialDay.objects.filter(date__year=2027).count() == 2


def test_a_make_up_working_day_must_be_a_weekend_day(world, alice):
    with pytest.raises(ValidationError):
        set_day(alice, D(2027, 1, 4), "workday", "元旦")  # a Monday
    with pytest.raises(ValidationError):
        set_day(alice, D(2027, 1, 2), "rest", "元旦")
    with pytest.raises(ValidationError):
        set_day(alice, D(2027, 1, 2), "holiday", "节" * 51)
    assert not SpecialDay.objects.filter(date__year=2027).exists()


# --- Importing a notice ---------------------------------------------------------------------


def test_the_parser_reads_real_notices_as_chinese_calendar_has_them(db):
    assert _parsed(NOTICE_2024, 2024) == (_official(2024), [])
    assert _parsed(NOTICE_2025, 2025) == (_official(2025), [])
    rows, errors = _parsed(
        "春节：2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班。", 2024
    )
    assert errors == []
    assert rows == {(D(2024, 2, d), "holiday") for d in range(10, 18)} | {
        (D(2024, 2, 4), "workday"),
        (D(2024, 2, 18), "workday"),
    }
    rows, errors = _parsed("一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。", 2023)
    assert errors == []
    assert rows == {(D(2022, 12, 31), "holiday"), (D(2023, 1, 1), "holiday"),
                    (D(2023, 1, 2), "holiday")}  # fmt: skip


def test_importing_a_notice_for_a_new_year(world, alice):
    result = import_days(alice, NOTICE_2027, year=2027)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (34, 0, 0)
    assert result.details["years"] == [2027]
    assert 2027 in years_known()
    days = {d.date: d for d in SpecialDay.objects.filter(date__year=2027)}
    assert len([d for d in days.values() if d.kind == "holiday"]) == 29
    assert {d for d, row in days.items() if row.kind == "workday"} == {
        D(2027, 2, 14), D(2027, 4, 25), D(2027, 5, 8), D(2027, 9, 26), D(2027, 10, 9),
    }  # fmt: skip
    assert days[D(2027, 2, 5)].name == "春节" and days[D(2027, 2, 5)].source == "import"
    assert add_working_days(D(2027, 9, 30), 1) == Due(D(2027, 10, 8), estimated=False)
    assert add_working_days(D(2027, 9, 24), 1) == Due(D(2027, 9, 26), estimated=False)
    assert add_working_days(D(2027, 2, 4), 1) == Due(D(2027, 2, 14), estimated=False)
    entry = AuditEntry.objects.get(action="workdays.import")
    assert entry.changes["新增"] == 34 and entry.changes["年份"] == "2027"
    # The same notice again changes nothing.
    again = import_days(alice, NOTICE_2027, year=2027)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 34)


def test_the_year_can_come_from_the_notice_title_but_must_agree(world, alice):
    assert import_days(alice, NOTICE_2027).ok
    result = import_days(alice, NOTICE_2027, year=2028)
    assert not result.ok
    assert "2027" in result.errors[0].reason and "2028" in result.errors[0].reason
    result = import_days(alice, "春节：2月5日至13日放假调休，共9天。")
    assert [e.row for e in result.errors] == [0] and "年份" in result.errors[0].reason


def test_a_notice_with_bad_lines_imports_nothing_and_lists_each_line(world, alice):
    text = NOTICE_2027.replace(
        "4月3日（周六）至5日（周一）放假，共3天", "4月3日（周五）至5日放假，共3天"
    )
    text = text.replace("6月9日（周三）放假，共1天", "6月9日（周三）至10日放假，共1天")
    text = text.replace("5月8日（周六）上班", "5月7日上班")
    text += "10月1日至7日放假。\n"
    before = SpecialDay.objects.count()
    result = import_days(alice, text, year=2027)
    assert not result.ok
    assert SpecialDay.objects.count() == before
    assert 2027 not in years_known()
    assert not AuditEntry.objects.filter(action="workdays.import").exists()
    lines = [e.row for e in result.errors]
    assert lines == [6, 7, 8, 12]
    reasons = {e.row: e.reason for e in result.errors}
    assert "星期六" in reasons[6] and "周五" in reasons[6]
    assert "星期五" in reasons[7] and "周六或周日" in reasons[7]
    assert "共 1 天" in reasons[8] and "2 天" in reasons[8]
    assert "节日名称" in reasons[12]


def test_a_day_both_off_and_at_work_is_an_error(world, alice):
    text = "一、元旦：1月1日至3日放假，共3天。\n二、春节：1月2日（周六）上班。"
    result = import_days(alice, text, year=2027)
    assert [e.row for e in result.errors] == [2]
    assert "第 1 行" in result.errors[0].reason


def test_a_text_without_any_date_is_refused(world, alice):
    result = import_days(alice, "经国务院批准，现将放假安排通知如下。", year=2027)
    assert not result.ok and "没有找到" in result.errors[0].reason


# --- Importing a spreadsheet ----------------------------------------------------------------


def test_an_xlsx_file_imports_all_or_nothing(world, alice):
    good = [
        (D(2027, 1, 1), "休", "元旦"),
        ("2027-02-05", "放假", "春节"),
        ("2027年2月6日", "休", "春节"),
        ("2027/2/14", "班", "春节"),
        (None, None, None),
        ("20270501", "holiday", "劳动节"),
    ]
    bad = [
        *good,
        ("2027-02-30", "休", "春节"),  # row 8: no such date
        ("2027-05-06", "调", "劳动节"),  # row 9: unknown type
        ("2027-05-07", "班", "劳动节"),  # row 10: a Friday cannot be a make-up day
        ("2027-01-01", "班", "元旦"),  # row 11: already listed as rest in row 2
    ]
    result = import_days(alice, _book(bad))
    assert not result.ok
    assert [e.row for e in result.errors] == [8, 9, 10, 11]
    assert "不存在" in result.errors[0].reason and "“调”" in result.errors[1].reason
    assert not SpecialDay.objects.filter(date__year=2027).exists()
    result = import_days(alice, _book(good))
    assert result.ok, result.errors
    assert result.created == 5
    assert SpecialDay.objects.get(date=D(2027, 2, 14)).kind == "workday"
    assert add_working_days(D(2027, 2, 4), 1) == Due(D(2027, 2, 8), estimated=False)


def test_rows_without_a_header_and_plain_rows_import_too(world, alice):
    assert import_days(alice, _book([("2027-10-01", "休", "国庆节")], header=False)).created == 1
    result = import_days(alice, [("2027-10-02", "休", "国庆节"), ("2027-10-09", "班", "国庆节")])
    assert result.ok and result.created == 2


def test_an_unreadable_file_is_reported(world, alice):
    result = import_days(alice, b"not a workbook")
    assert result.errors == [
        RowError(0, "无法读取文件：请上传 Excel 2007 及以上版本的 .xlsx 文件。")
    ]


def test_the_template_imports_as_it_is(world, alice):
    result = import_days(alice, services.template_workbook())
    assert result.ok and result.created == 3


# --- A property over the real calendars -----------------------------------------------------


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.dates(min_value=D(2023, 1, 1), max_value=D(2026, 12, 31)),
    n=st.integers(min_value=0, max_value=40),
)
def test_the_due_day_is_a_working_day_n_working_days_on(db, start, n):
    due = add_working_days(start, n)
    assert is_working_day(due.date)
    assert due.date >= start
    assert due.estimated is (due.date.year > 2026)
    if n > 0:
        assert working_days_between(start, due.date) == n
        assert working_days_between(due.date, start) == -n
        assert working_days_between(start, due.date - dt.timedelta(days=1)) == n - 1
    else:
        assert due.date == start or working_days_between(start, due.date) == 1
    # chinese-calendar agrees wherever it has data.
    if due.date.year <= 2026:
        assert chinese_calendar.is_workday(due.date)


# --- Pages ----------------------------------------------------------------------------------


def test_every_staff_member_reads_the_year_page(world, client):
    c = world.client_for(client, "town_handler")
    page = c.get("/staff/workdays/2026/").content.decode()
    assert "2026年工作日历" in page and "国庆节" in page and "调休上班" in page
    assert "本年度尚未录入官方放假安排" not in page and "录入或修改一天" not in page
    page = c.get("/staff/workdays/2027/").content.decode()
    assert "本年度尚未录入官方放假安排，按周末和法定节日推算，期限标注“预计”" in page
    assert "按规则推算的法定节日" in page and "元旦" in page
    assert c.get("/staff/workdays/").status_code == 200
    assert c.get("/staff/workdays/3000/").status_code == 404
    assert c.post("/staff/workdays/2027/", {"action": "set", "date": "2027-01-01",
                                             "kind": "holiday", "name": "元旦"}).status_code == 403  # fmt: skip
    assert not SpecialDay.objects.filter(date__year=2027).exists()


def test_an_office_admin_adds_changes_and_removes_a_day(world, client):
    c = world.client_for(client, "kf_office")
    assert "录入或修改一天" in c.get("/staff/workdays/2027/").content.decode()
    r = c.post("/staff/workdays/2027/", {"action": "set", "date": "2027-10-01",
                                          "kind": "holiday", "name": "国庆节"})  # fmt: skip
    assert r.status_code == 302 and r["Location"] == "/staff/workdays/2027/"
    assert SpecialDay.objects.get(date=D(2027, 10, 1)).name == "国庆节"
    r = c.post("/staff/workdays/2027/", {"action": "set", "date": "2027-10-04",
                                          "kind": "workday", "name": "国庆节"})  # fmt: skip
    assert r.status_code == 400 and "周六或周日" in r.content.decode()
    r = c.post("/staff/workdays/2027/", {"action": "clear", "date": "2027-10-01"})
    assert r.status_code == 302
    assert not SpecialDay.objects.filter(date__year=2027).exists()


def test_importing_by_the_page(world, client):
    c = world.client_for(client, "nm_office")
    r = c.post("/staff/workdays/import/", {"year": "2027", "text": NOTICE_2027})
    assert r.status_code == 302 and r["Location"] == "/staff/workdays/2027/"
    assert SpecialDay.objects.filter(date__year=2027).count() == 34
    bad = "一、元旦：1月1日（周四）放假，共1天。"
    r = c.post("/staff/workdays/import/", {"year": "2028", "text": bad})
    assert r.status_code == 400
    page = r.content.decode()
    assert "未导入：发现 1 处错误" in page and "第 1 行" in page
    upload = io.BytesIO(_book([("2028-01-01", "休", "元旦")]))
    upload.name = "2028.xlsx"
    r = c.post("/staff/workdays/import/", {"file": upload})
    assert r.status_code == 302 and SpecialDay.objects.filter(date__year=2028).count() == 1
    assert c.post("/staff/workdays/import/", {}).status_code == 400
    r = c.get("/staff/workdays/template.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    c = world.client_for(client, "unit_admin")
    assert c.post("/staff/workdays/import/", {"year": "2029", "text": bad}).status_code == 403
