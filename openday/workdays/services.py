"""Working days: deadlines count the official calendar, not calendar days.

The table of special days (openday.workdays.models.SpecialDay) holds the State Council's
arrangement for each year it knows: statutory rest days and make-up working days (调休). Any
other date of a known year follows the ordinary week. A year with no rows at all is estimated
from weekends and the statutory holidays that the `holidays` package computes by rule (it
knows no 调休); results that touch such a year say so (Due.estimated, shown as “预计”).

Each process keeps the table in memory and reloads it when it changes: an edit here drops the
copy at once, and every call compares a one-row fingerprint of the table (count, last change)
so an edit made by another process is seen on the next call. For many calculations at once,
take one `calendar()` and call its methods: that checks the fingerprint once.
"""

import datetime as dt
import io
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, TypedDict, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from openday.audit.services import record
from openday.lib.imports import ImportResult, RowError
from openday.lib.spreadsheet import cell_text, open_workbook

from .models import SpecialDay

if TYPE_CHECKING:
    from openday.accounts.models import User
    from openday.orgs.access import Access
    from openday.orgs.models import Org

log = logging.getLogger(__name__)

HOLIDAY = SpecialDay.Kind.HOLIDAY
WORKDAY = SpecialDay.Kind.WORKDAY
KIND_SHORT: dict[str, str] = {HOLIDAY: "休", WORKDAY: "班"}
WEEKDAYS = "一二三四五六日"
MIN_YEAR, MAX_YEAR = 1950, 2100
NAME_MAX = cast(int, SpecialDay._meta.get_field("name").max_length)  # a CharField has one
ESTIMATED_NOTE = "本年度尚未录入官方放假安排，按周末和法定节日推算，期限标注“预计”"
NO_RIGHT = "工作日历全系统共用，只有系统运维人员（或运维指定的政务公开办）可以修改。"


def weekday_name(day: dt.date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


def date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Due:
    """A date counted in working days; estimated when a year it crossed has no official data."""

    date: dt.date
    estimated: bool = False

    @property
    def label(self) -> str:
        return date_text(self.date) + ("（预计）" if self.estimated else "")

    def __str__(self) -> str:
        return self.label


# --- The calendar ---------------------------------------------------------------------------


@lru_cache(maxsize=256)
def statutory_days(year: int) -> dict[dt.date, str]:
    """{date: name} of the statutory holidays of a year computed by rule; never raises."""
    try:
        import holidays

        return dict(holidays.China(years=year, language="zh_CN"))
    except Exception:  # a broken or too-old rules package must not stop a deadline
        log.exception("holidays.China failed for %s; counting weekends only", year)
        return {}


def _as_date(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


class Calendar:
    """One snapshot of the table: {date: kind} plus the years it covers."""

    def __init__(self, rows: Iterable[tuple[dt.date, str]]):
        self.rows = dict(rows)
        self.known_years = frozenset(d.year for d in self.rows)

    def is_known(self, year: int) -> bool:
        return year in self.known_years

    def is_working_day(self, day: dt.date) -> bool:
        day = _as_date(day)
        kind = self.rows.get(day)
        if kind is not None:
            return kind == WORKDAY
        if day.weekday() >= 5:
            return False
        if day.year in self.known_years:
            return True
        return day not in statutory_days(day.year)

    def _estimated(self, first: dt.date, last: dt.date) -> bool:
        return any(y not in self.known_years for y in range(first.year, last.year + 1))

    def add_working_days(self, start: dt.date, n: int) -> Due:
        """The n-th working day after start (start not counted); n=0: start or the next one."""
        start = _as_date(start)
        if n < 0:
            raise ValueError("n must be zero or more")
        one = dt.timedelta(days=1)
        day = start
        if n == 0:
            while not self.is_working_day(day):
                day += one
            return Due(day, self._estimated(start, day))
        left = n
        while left:
            day += one
            if self.is_working_day(day):
                left -= 1
        return Due(day, self._estimated(start + one, day))

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after a up to and including b; negative when b is before a."""
        a, b = _as_date(a), _as_date(b)
        if a == b:
            return 0
        sign, low, high = (1, a, b) if a < b else (-1, b, a)
        one = dt.timedelta(days=1)
        count, day = 0, low
        while day < high:
            day += one
            count += self.is_working_day(day)
        return sign * count


class _Cache(TypedDict):
    """This process's copy of the table and the fingerprint it was loaded at."""

    fingerprint: tuple[int, dt.datetime | None] | None
    calendar: Calendar | None


_lock = threading.Lock()
_current: _Cache = {"fingerprint": None, "calendar": None}


def _fingerprint() -> tuple[int, dt.datetime | None]:
    stats = SpecialDay.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    return stats["n"], stats["last"]


def calendar() -> Calendar:
    """The table as it is now (reloaded only when it changed since the last call)."""
    fingerprint = _fingerprint()
    with _lock:
        if _current["calendar"] is not None and _current["fingerprint"] == fingerprint:
            return _current["calendar"]
    rows = list(SpecialDay.objects.values_list("date", "kind"))
    if not rows:
        # An empty table (a database emptied by hand or by a test's flush) still knows the
        # official years shipped with the code, rather than estimating them.
        from .builtin import builtin_rows

        rows = [(r["date"], r["kind"]) for r in builtin_rows()]
    cal = Calendar(rows)
    with _lock:
        _current.update({"fingerprint": fingerprint, "calendar": cal})
    return cal


def invalidate() -> None:
    """Drop this process's copy; called on every edit, and again when the edit commits."""
    with _lock:
        _current.update({"fingerprint": None, "calendar": None})


def _changed() -> None:
    invalidate()
    transaction.on_commit(invalidate)


def is_working_day(day: dt.date) -> bool:
    return calendar().is_working_day(day)


def add_working_days(start: dt.date, n: int) -> Due:
    return calendar().add_working_days(start, n)


def working_days_between(a: dt.date, b: dt.date) -> int:
    return calendar().working_days_between(a, b)


def years_known() -> set[int]:
    return set(calendar().known_years)


def year_days(year: int) -> list[SpecialDay]:
    """The special days recorded for a year, in date order."""
    return list(SpecialDay.objects.filter(date__year=year).select_related("updated_by"))


def estimated_days(year: int) -> list[tuple[dt.date, str]]:
    """[(date, name)] of the statutory holidays computed by rule, for a year without data."""
    return sorted(statutory_days(year).items())


def seed_builtin() -> int:
    """Put back the built-in 2023-2026 days missing from the table (as migration 0002 does).

    For databases emptied after migrating (a flush between live-server tests); dates already
    in the table are left as they are. Returns how many days were added.
    """
    from .builtin import builtin_rows

    existing = set(SpecialDay.objects.values_list("date", flat=True))
    rows = [SpecialDay(**r) for r in builtin_rows() if r["date"] not in existing]
    SpecialDay.objects.bulk_create(rows)
    if rows:
        _changed()
    return len(rows)


# --- Editing --------------------------------------------------------------------------------


def can_edit(access: "Access") -> bool:
    """Who keeps the calendar; every staff member may read it.

    The calendar is one for the whole deployment (the State Council's holiday arrangement
    holds in every district), so one district's office must not change it for the others:
    operators (系统运维) keep it, and so do the office admins of the offices whose region
    codes settings.OPENDAY_CALENDAR_AUTHORITY lists (e.g. the city's office for a city-wide
    deployment). docs/operator.md 6.6.
    """
    from openday.orgs.models import Org, Role

    if access.is_operator:
        return True
    codes = set(settings.OPENDAY_CALENDAR_AUTHORITY)
    if not codes:
        return False
    return any(
        m.role == Role.OFFICE_ADMIN
        and m.org.kind == Org.Kind.OFFICE
        and m.org.region is not None
        and m.org.region.code in codes
        for m in access.memberships
    )


def _check_actor(actor: "User | None") -> None:
    """None is the system (migrations, commands); a person must be an office admin."""
    if actor is None:
        return
    from openday.orgs.access import Access

    if not can_edit(Access(actor)):
        raise PermissionDenied(NO_RIGHT)


def _audit_org(actor: "User | None") -> "Org | None":
    """The actor's office, so its admins find the change in their audit log."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    from openday.orgs.models import Membership, Role

    m = (
        Membership.objects.filter(user=actor, role=Role.OFFICE_ADMIN)
        .select_related("org")
        .order_by("org__path")
        .first()
    )
    return m.org if m else None


def _kind_label(kind: str | None) -> str | None:
    return SpecialDay.Kind(kind).label if kind else None


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"名称不能超过 {NAME_MAX} 个字。"})
    return name


def _check_year(day: dt.date, field_name: str = "date") -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationError({field_name: f"年份应在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间。"})


def set_day(actor: "User | None", date: dt.date, kind: str, name: str | None = "") -> SpecialDay:
    """Record (or change) one special day by hand. Returns the SpecialDay."""
    _check_actor(actor)
    day = _as_date(date)
    _check_year(day)
    if kind not in SpecialDay.Kind.values:
        raise ValidationError({"kind": "请选择类型：法定节假日休息或调休上班。"})
    name = _clean_name(name)
    if kind == WORKDAY and day.weekday() < 5:
        raise ValidationError(
            {
                "kind": f"{date_text(day)}是{weekday_name(day)}，本来就是工作日；调休上班日应为周六或周日。"
            }
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    changes: dict[str, list[str | None]]
    with transaction.atomic():
        obj, created = SpecialDay.objects.select_for_update().get_or_create(
            date=day,
            defaults={
                "kind": kind,
                "name": name,
                "source": SpecialDay.Source.MANUAL,
                "updated_by": user,
            },
        )
        if created:
            changes = {"kind": [None, _kind_label(kind)], "name": [None, name]}
        else:
            if obj.kind == kind and obj.name == name:
                return obj
            changes = {}
            if obj.kind != kind:
                changes["kind"] = [_kind_label(obj.kind), _kind_label(kind)]
            if obj.name != name:
                changes["name"] = [obj.name, name]
            obj.kind, obj.name = kind, name
            obj.source, obj.updated_by = SpecialDay.Source.MANUAL, user
            obj.save()
        record(
            "workdays.set",
            actor=actor,
            obj=obj,
            org=_audit_org(actor),
            changes=changes,
        )
        _changed()
    return obj


def clear_day(actor: "User | None", date: dt.date) -> bool:
    """Remove a special day (the date then follows the ordinary week). True if one was removed."""
    _check_actor(actor)
    day = _as_date(date)
    with transaction.atomic():
        obj = SpecialDay.objects.select_for_update().filter(date=day).first()
        if obj is None:
            return False
        record(
            "workdays.clear",
            actor=actor,
            obj=obj,
            org=_audit_org(actor),
            changes={"kind": [_kind_label(obj.kind), None], "name": [obj.name, None]},
        )
        obj.delete()
        _changed()
    return True


# --- Import ---------------------------------------------------------------------------------

KIND_BY_LABEL = {
    **dict.fromkeys(
        ["休", "休息", "放假", "假", "节假日", "法定节假日", "法定节假日休息", "holiday"], HOLIDAY
    ),
    **dict.fromkeys(["班", "上班", "补班", "调休上班", "工作日", "workday"], WORKDAY),
}
SHEET = "放假调休"
HEADERS = ["日期", "类型（休/班）", "名称"]
MAX_ROWS = 1000


@dataclass
class Entry:
    where: int
    date: dt.date
    kind: str
    name: str


def import_days(
    actor: "User | None",
    source: bytes | str | Iterable[Sequence[object]],
    *,
    year: int | str | None = None,
) -> ImportResult:
    """Import special days, all or nothing.

    source is the bytes of an xlsx file (rows 日期, 类型 休/班, 名称), the text of a State
    Council notice (with `year`, or a title naming it), or an iterable of (日期, 类型, 名称)
    rows. Returns an ImportResult whose `.errors` lists every bad line or row in Chinese; when
    it is ok, details["years"] are the years imported and details["entries"] the days (Entry).
    """
    _check_actor(actor)
    result = ImportResult(details={"years": [], "entries": []})
    if isinstance(source, (bytes, bytearray)):
        entries, kind = _rows_from_xlsx(bytes(source), result.errors), "xlsx"
    elif isinstance(source, str):
        entries, kind = parse_notice(source, year, result.errors), "notice"
    else:
        numbered = ((i, row) for i, row in enumerate(source, start=1))
        entries = _entries_from_rows(numbered, result.errors)
        kind = "rows"
    entries = _check_conflicts(entries, result.errors)
    if not result.errors and not entries:
        result.add_error(0, "没有找到任何放假或上班日期。")
    if result.errors:
        result.errors.sort(key=lambda e: e.row)
        return result
    years = sorted({e.date.year for e in entries})
    result.details.update(entries=entries, years=years)
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        existing = {
            d.date: d
            for d in SpecialDay.objects.select_for_update().filter(
                date__in=[e.date for e in entries]
            )
        }
        for e in entries:
            obj = existing.get(e.date)
            if obj is None:
                SpecialDay.objects.create(
                    date=e.date,
                    kind=e.kind,
                    name=e.name,
                    source=SpecialDay.Source.IMPORT,
                    updated_by=user,
                )
                result.created += 1
            elif obj.kind == e.kind and obj.name == e.name:
                result.unchanged += 1
            else:
                obj.kind, obj.name = e.kind, e.name
                obj.source, obj.updated_by = SpecialDay.Source.IMPORT, user
                obj.save()
                result.updated += 1
        label = {"xlsx": "Excel 文件", "notice": "国务院通知文本", "rows": "数据行"}[kind]
        record(
            "workdays.import",
            actor=actor,
            org=_audit_org(actor),
            changes={
                "年份": "、".join(str(y) for y in years),
                "来源": label,
                "新增": result.created,
                "更新": result.updated,
                "未变": result.unchanged,
            },
        )
        _changed()
    return result


def _check_conflicts(entries: Iterable[Entry], errors: list[RowError]) -> list[Entry]:
    """Drop repeats of the same day; a day listed both as rest and as work is an error."""
    seen: dict[dt.date, Entry] = {}
    out: list[Entry] = []
    for e in entries:
        first = seen.get(e.date)
        if first is None:
            seen[e.date] = e
            out.append(e)
        elif first.kind != e.kind:
            errors.append(
                RowError(
                    e.where,
                    f"{date_text(e.date)}已在第 {first.where} 行写作"
                    f"“{KIND_SHORT[first.kind]}”，这里又写作“{KIND_SHORT[e.kind]}”。",
                )
            )
    return out


# xlsx and rows


def _parse_cell_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and 20000 <= value <= 80000:
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    text = cell_text(value)
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not m:
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not m:
        raise ValueError(f"日期“{text}”无法识别，请写成 2027-01-01 或 2027年1月1日。")
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        raise ValueError(f"日期“{text}”不存在。") from None


def _entry(
    where: int,
    date_value: object,
    kind_value: object,
    name_value: object,
    errors: list[RowError],
) -> Entry | None:
    problems: list[str] = []
    day: dt.date | None = None
    try:
        day = _parse_cell_date(date_value)
    except ValueError as exc:
        problems.append(str(exc))
    if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
        problems.append(f"年份应在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间。")
        day = None
    kind_text = cell_text(kind_value)
    kind = KIND_BY_LABEL.get(kind_text) or KIND_BY_LABEL.get(kind_text.lower())
    if kind is None:
        shown = f"“{kind_text}”" if kind_text else "为空"
        problems.append(f"类型{shown}无法识别，请填“休”（放假）或“班”（调休上班）。")
    name = cell_text(name_value)
    if len(name) > NAME_MAX:
        problems.append(f"名称不能超过 {NAME_MAX} 个字。")
    if day is not None and kind == WORKDAY and day.weekday() < 5:
        problems.append(f"{date_text(day)}是{weekday_name(day)}，调休上班日应为周六或周日。")
    if problems:
        errors.extend(RowError(where, p) for p in problems)
        return None
    assert day is not None and kind is not None  # each is None only with a problem listed
    return Entry(where, day, kind, name)


def _entries_from_rows(
    numbered_rows: Iterable[tuple[int, Sequence[object] | None]], errors: list[RowError]
) -> list[Entry]:
    entries: list[Entry] = []
    for where, row in numbered_rows:
        cells = [*list(row or ()), None, None, None][:3]
        if not any(cell_text(c) for c in cells):
            continue
        if len(entries) + len(errors) >= MAX_ROWS:
            errors.append(RowError(where, f"行数过多：一次最多导入 {MAX_ROWS} 行。"))
            break
        date_value, kind_value, name_value = cells
        e = _entry(where, date_value, kind_value, name_value, errors)
        if e is not None:
            entries.append(e)
    return entries


def _rows_from_xlsx(data: bytes, errors: list[RowError]) -> list[Entry]:
    wb, problem = open_workbook(data)
    if wb is None:
        errors.append(RowError(0, problem))
        return []
    try:
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        rows = list(ws.iter_rows(max_col=3, values_only=True))
    finally:
        wb.close()
    numbered = list(enumerate(rows, start=1))
    first = next((i for i, (_n, r) in enumerate(numbered) if any(cell_text(c) for c in r)), None)
    if first is not None and "日期" in cell_text(numbered[first][1][0]):
        numbered = numbered[first + 1 :]
    return _entries_from_rows(numbered, errors)


def template_workbook() -> bytes:
    """An example file in the import format, with a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from openday.lib.export_text import append_row

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    append_row(ws, HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sample = [
        (dt.date(2027, 1, 1), "休", "元旦"),
        (dt.date(2027, 2, 5), "休", "春节"),
        (dt.date(2027, 2, 6), "休", "春节"),
    ]
    for row in sample:
        append_row(ws, row)
        ws.cell(row=ws.max_row, column=1).number_format = "yyyy-mm-dd"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 24
    notes = wb.create_sheet("填写说明")
    for line in [
        "每行一天：日期、类型、名称。示例行的日期仅为格式示范，请按国务院办公厅当年的通知填写。",
        "日期：写成 2027-01-01 或 2027年1月1日，也可以是 Excel 日期格式的单元格。",
        "类型：“休”表示法定节假日放假休息（含与周末连休的日子），“班”表示调休上班（周六或周日）。",
        "名称：节日名称，如 元旦、春节、清明节、劳动节、端午节、中秋节、国庆节。",
        "只需列出放假的日子和调休上班的日子，普通周末和工作日不用填。",
        "已有的日期会被更新；任何一行有误时整个文件都不导入，并列出每一个错误行。",
    ]:
        append_row(notes, [line])
    notes.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# The State Council's notice text

_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_DATE = r"(?:(?P<{p}y>\d{{4}})\s*年\s*)?(?P<{p}m>\d{{1,2}})\s*月\s*(?P<{p}d>\d{{1,2}})\s*日"
_END = r"(?:(?:(?P<ey>\d{4})\s*年\s*)?(?P<em>\d{1,2})\s*月\s*)?(?P<ed>\d{1,2})\s*日"
_NOTE = r"(?:\s*[（(](?P<{p}note>[^）)]*)[）)])?"
_SPAN_RE = re.compile(
    _DATE.format(p="s")
    + _NOTE.format(p="s")
    + r"(?:\s*(?:至|到|～|~|—|－|-)\s*"
    + _END
    + _NOTE.format(p="e")
    + ")?"
)
_ANY_DATE_RE = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日")
_ITEM_START_RE = re.compile(r"(?:^|(?<=[。；;\s]))[一二三四五六七八九十]{1,3}\s*[、.．]")
_HEAD_RE = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．])?\s*(?P<name>[^：:\d]{1,20}?)\s*[：:](?P<body>.*)$"
)
_COUNT_RE = re.compile(r"(?:共|放假)\s*(?P<n>\d{1,2}|[一二三四五六七八九十]{1,3})\s*天")
_WEEKDAY_RE = re.compile(r"(?:星期|周|礼拜)(?P<w>[一二三四五六日天])")
_TITLE_YEAR_RE = re.compile(r"(?P<y>\d{4})\s*年\s*(?:部分节假日|元旦)")


def _cn_number(text: str) -> int:
    if text.isdecimal():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 0) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(text, 0)


class _Bad(Exception):
    pass


def _make_date(y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise _Bad(f"{y}年{m}月{d}日不存在。") from None


def _check_weekday(day: dt.date, note: str | None) -> None:
    """The notice names each day's weekday; a mismatch means a wrong year or a typo."""
    m = _WEEKDAY_RE.search(note or "")
    if not m:
        return
    written = "日" if m["w"] == "天" else m["w"]
    if WEEKDAYS.index(written) != day.weekday():
        raise _Bad(
            f"{day.month}月{day.day}日在{day.year}年是{weekday_name(day)}，与原文“{m.group(0)}”不符，"
            "请核对年份和日期。"
        )


def _spans(text: str, year: int) -> list[tuple[dt.date, dt.date]]:
    """[(first, last)] of every date or date range written in text."""
    spans: list[tuple[dt.date, dt.date]] = []
    for m in _SPAN_RE.finditer(text):
        sy = int(m["sy"]) if m["sy"] else year
        first = _make_date(sy, int(m["sm"]), int(m["sd"]))
        _check_weekday(first, m["snote"])
        last = first
        if m["ed"]:
            ey = int(m["ey"]) if m["ey"] else first.year
            em = int(m["em"]) if m["em"] else first.month
            last = _make_date(ey, em, int(m["ed"]))
            if last < first and not m["ey"] and m["em"]:
                last = _make_date(ey + 1, em, int(m["ed"]))  # 12月31日至1月2日
            if last < first:
                raise _Bad(f"{m.group(0)}：结束日期早于开始日期。")
            if (last - first).days > 30:
                raise _Bad(f"{m.group(0)}：放假时间超过一个月，请核对。")
            _check_weekday(last, m["enote"])
        spans.append((first, last))
    return spans


def _items(text: str) -> Iterator[tuple[int, str]]:
    """(line number, item text) for each numbered item or line of the pasted notice."""
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        starts = [m.start() for m in _ITEM_START_RE.finditer(line)]
        if not starts or starts[0] != 0:
            starts.insert(0, 0)
        for begin, end in zip(starts, [*starts[1:], len(line)], strict=True):
            piece = line[begin:end].strip()
            if piece:
                yield number, piece


def _parse_item(number: int, piece: str, year: int) -> list[Entry]:
    """Entries of one item such as “春节：2月10日至17日放假调休，共8天。2月4日（星期日）上班。”."""
    relevant = _ANY_DATE_RE.search(piece) and ("放假" in piece or "上班" in piece)
    if not relevant:
        return []
    head = _HEAD_RE.match(piece)
    if not head or not head["name"].strip():
        raise _Bad(
            "找不到节日名称：每一项应以节日名称和冒号开头，如“春节：2月10日至17日放假调休，共8天。”"
        )
    name = head["name"].strip()[:NAME_MAX]
    rest: list[dt.date] = []
    work: list[dt.date] = []
    counts: list[int] = []
    for clause in re.split(r"[。；;，,]", head["body"]):
        if "放假" in clause:
            found = _spans(clause[: clause.index("放假")], year)
            if not found:
                raise _Bad(f"“{name}”：找不到放假日期。")
            for first, last in found:
                rest.extend(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        elif "上班" in clause:
            found = _spans(clause, year)
            if not found:
                raise _Bad(f"“{name}”：找不到上班日期。")
            for first, last in found:
                work.extend(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        for m in _COUNT_RE.finditer(clause):
            counts.append(_cn_number(m["n"]))
    if not rest and not work:
        raise _Bad(f"“{name}”：找不到放假或上班日期。")
    for n in counts:
        if rest and n != len(set(rest)):
            raise _Bad(f"“{name}”：写明共 {n} 天，但放假日期共 {len(set(rest))} 天，请核对。")
    for day in work:
        if day.weekday() < 5:
            raise _Bad(
                f"“{name}”：{day.month}月{day.day}日是{weekday_name(day)}，调休上班日应为周六或周日。"
            )
    return [Entry(number, d, HOLIDAY, name) for d in rest] + [
        Entry(number, d, WORKDAY, name) for d in work
    ]


def parse_notice(text: str | None, year: int | str | None, errors: list[RowError]) -> list[Entry]:
    """Entries of a pasted notice; each bad line is added to errors as a RowError (its line)."""
    title = _TITLE_YEAR_RE.search(text or "")
    if year in (None, ""):
        if title is None:
            errors.append(RowError(0, "请填写通知所属的年份（如 2027）。"))
            return []
        year = int(title["y"])
    try:
        year = int(year)
    except (TypeError, ValueError):
        errors.append(RowError(0, f"年份“{year}”不正确，请填写四位数字，如 2027。"))
        return []
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors.append(RowError(0, f"年份应在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间。"))
        return []
    if title is not None and int(title["y"]) != year:
        errors.append(
            RowError(0, f"填写的年份是 {year} 年，但通知写的是 {title['y']} 年，请核对。")
        )
        return []
    entries: list[Entry] = []
    for number, piece in _items(text or ""):
        try:
            entries.extend(_parse_item(number, piece, year))
        except _Bad as exc:
            errors.append(RowError(number, str(exc)))
    return entries
