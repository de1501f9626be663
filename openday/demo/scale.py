"""The province demo (`openday demo --scale province`): one province's year on one database.

湖南省 with its 14 prefecture-level and 122 county-level divisions (GB/T 2260 codes in
data/hunan_regions.csv), an openness office for each, about 5,000 units (a fifth of them with a
department), and for one year: a campaign per office (county campaigns under their city's and
the province's), a declaration, a row and a plan entry per unit, 10,000 events with quotas,
1,000,000 registrations, 200,000 opinions in every state of the loop with call-backs and
rectification steps, surveys with 300,000 responses (about 1.1 million answer rows), articles,
summaries and the audit entries the write paths would have left.

Written in bulk: COPY on PostgreSQL (psycopg 3), batched INSERTs on SQLite (refused above a
small scale factor: a province's year is a PostgreSQL workload). Rows get explicit ids and the
sequences are moved past them at the end. The invariants the app relies on hold for every
generated row:

- phones are stored encrypted with their keyed hash and last four digits (lib.personal_data);
- ticket and tracking codes are unique (a bijection of the row number onto 10 characters of the
  services' alphabets);
- an event's confirmed registrations never exceed its capacity nor a category's quota, its
  waitlist never exceeds its limit, and one phone holds at most one active registration per
  event: register() recounts from the rows, so the seat decision holds after the load;
- an opinion's fields match its status (a unit and an assignee once assigned, an answer and
  answered_at once answered, reviewed_* once approved, published_at once published);
- a survey response's answers are one row per chosen value, with the response's category and
  channel copied onto them (surveys.models).
"""

import csv
import hashlib
import hmac
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from openday.lib.personal_data import encrypt

DATA = Path(__file__).with_name("data") / "hunan_regions.csv"
OFFICE_USERNAME = "scale-office"
UNIT_USERNAME = "scale-unit"
# At scale factor 1: the figures for a province's year.
UNITS = 5000
EVENTS_PER_UNIT = 2
REGISTRATIONS_PER_EVENT = 102  # on average: REG_MIN to REG_MIN + 80
REG_MIN = 62
OPINIONS = 200_000
RESPONSES = 300_000
PEOPLE = 200_000  # distinct people who register (each registers for about five events)
CAPACITY = 120  # 15 seats for each of the 8 guest categories
WAITLIST = 20
# SQLite takes the tests' tiny sizes; above this a province is a PostgreSQL workload.
SQLITE_MAX_FACTOR = 0.05
# (username, full name, where, role, password printed once or None), as `openday demo` prints.
Account = tuple[str, str, str, str, str | None]
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CATEGORIES = ["deputy", "member", "expert", "media", "business", "trader", "model", "public"]
SHANGHAI_OFFSET = timedelta(hours=8)

UNIT_KINDS = [
    "发展和改革局",
    "教育局",
    "科学技术局",
    "工业和信息化局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "生态环境分局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化旅游广电体育局",
    "卫生健康局",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "城市管理和综合执法局",
    "林业局",
    "信访局",
    "数据资源局",
    "行政审批服务局",
    "税务局",
    "公共资源交易中心",
    "政务服务中心",
    "融媒体中心",
    "供销合作社",
    "机关事务服务中心",
    "乡村振兴局",
    "城关街道办事处",
    "东城街道办事处",
    "西城街道办事处",
    "南门街道办事处",
    "北门街道办事处",
    "新城街道办事处",
    "工业园管理委员会",
    "人民医院",
    "第一中学",
    "疾病预防控制中心",
]
DEPARTMENTS = ["办公室", "政策法规股", "综合服务股", "业务指导股"]
TOPICS = [
    ("优化营商环境", "营商环境", ["政策发布", "座谈交流"]),
    ("老旧小区改造", "品质城市", ["现场观摩", "座谈交流"]),
    ("义务教育学位保障", "民生实事", ["浏览介绍", "座谈交流"]),
    ("高标准农田建设", "乡村振兴", ["实地调研", "现场观摩"]),
    ("大气污染防治", "蓝天碧水", ["现场观摩", "问卷调查"]),
    ("基层社会治理", "社会治理", ["座谈交流", "问卷调查"]),
    ("政务服务“一件事一次办”", "政府自身建设", ["浏览介绍", "政策发布"]),
    ("园区改革开放", "改革开放", ["实地调研", "政策发布"]),
]
OPINION_TEXTS = [
    "建议在小区出入口增设无障碍坡道，方便老年人和残疾人出行。",
    "希望延长政务服务大厅周末的办理时间，上班族工作日很难请假。",
    "学校周边上下学时段交通拥堵，建议增派交警疏导并规划临时停车区。",
    "老旧小区改造后楼道照明仍不足，建议统一更换感应灯。",
    "建议公开本年度民生实事项目的进度，方便群众监督。",
    "农村公路部分路段破损严重，雨天积水，希望尽快维修。",
    "希望增加社区养老服务站的助餐点，解决独居老人吃饭难。",
    "企业开办流程已经很快，但银行开户仍需多次跑，建议联动办理。",
    "河道沿线有生活垃圾堆放，建议加强巡查和保洁。",
    "建议在政府网站上提供政策解读的图解和视频版本。",
    "医保报销窗口排队时间较长，希望增加自助服务设备。",
    "菜市场周边占道经营影响通行，希望规范管理。",
    "建议在开放日活动中多安排群众提问的时间。",
    "公交线路覆盖不到新建小区，希望增开或调整线路。",
    "希望对个体工商户的减税降费政策做更细致的宣讲。",
    "夜间施工噪音扰民，建议严格审批并公开施工时间。",
]
ANSWERS = {
    "adopted": "感谢您的建议。经研究，我单位已将该建议纳入年度工作计划，"
    "并明确责任股室和完成时限，整改进展将在活动专栏公开。",
    "partly": "感谢您的建议。其中涉及我单位职责的部分已安排落实，其余事项已转交相关部门研究办理。",
    "explained": "感谢您的关注。该事项受现行政策和规划限制暂不具备实施条件，"
    "我们已向您说明有关依据，并将在条件成熟时再作研究。",
    "solved": "感谢您的反映。经现场核实，该问题已于近期处理完毕，欢迎继续监督。",
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国秀兰志强桂英海燕国华敏静磊丽娟晓东春梅德胜玉兰文博永刚红霞伟芳军洋勇艳杰娜涛明超秀云"


def _code(n: int, salt: int) -> str:
    """10 characters of CODE_ALPHABET, a bijection of n (below 32**10) for a given salt."""
    space = 32**10
    value = (n * 0x9E3779B1 + salt) % space  # the multiplier is odd: a bijection mod 2**50
    out = []
    for _ in range(10):
        value, digit = divmod(value, 32)
        out.append(CODE_ALPHABET[digit])
    return "".join(out)


def _phone(k: int) -> str:
    return f"1{3 + k % 7}{(k * 7919 + 12345) % 10**9:09d}"


def _name(k: int) -> str:
    return (
        SURNAMES[k % len(SURNAMES)]
        + GIVEN[(k // 7) % len(GIVEN)]
        + (GIVEN[(k // 131) % len(GIVEN)] if k % 3 else "")
    )


@dataclass
class Plan:
    """How many of each, at a scale factor (1.0 is the province's year)."""

    factor: float
    units: int = 0
    events: int = 0
    opinions: int = 0
    responses: int = 0
    people: int = 0

    def __post_init__(self) -> None:
        self.units = max(2, round(UNITS * self.factor))
        self.events = self.units * EVENTS_PER_UNIT
        self.opinions = max(20, round(OPINIONS * self.factor))
        self.responses = max(30, round(RESPONSES * self.factor))
        self.people = max(400, round(PEOPLE * self.factor))


class AlreadyLoaded(Exception):
    pass


class Refused(Exception):
    pass


# --- Writing rows in bulk ---------------------------------------------------------------------


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


@dataclass
class Sink:
    """Writes rows of a model: COPY on PostgreSQL, executemany on SQLite. Columns not given
    take the field's default (auto_now fields: the load's time), computed once per table."""

    now: datetime
    say: Callable[[str], None]
    timings: list[tuple[str, int, float]] = field(default_factory=list)
    touched: list[type[models.Model]] = field(default_factory=list)

    def next_id(self, model: type[models.Model]) -> int:
        top = model._default_manager.aggregate(m=models.Max("pk"))["m"]
        return (top or 0) + 1

    def _defaults(self, model: type[models.Model], given: Sequence[str]) -> tuple[list[str], list]:
        names: list[str] = []
        values: list[Any] = []
        for f in model._meta.concrete_fields:
            if f.attname in given or f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value: Any = self.now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                value = f.get_default()
            names.append(str(f.column))
            values.append(value)
        return names, values

    def write(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        started = time.perf_counter()
        meta = model._meta
        by_attname = {f.attname: str(f.column) for f in meta.concrete_fields}
        extra_cols, extra_values = self._defaults(model, columns)
        cols = [by_attname[c] for c in columns] + extra_cols
        table = connection.ops.quote_name(meta.db_table)
        col_sql = ", ".join(connection.ops.quote_name(c) for c in cols)
        count = 0
        if connection.vendor == "postgresql":
            tail = "".join("\t" + _copy_text(v) for v in extra_values)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # psycopg 3's cursor, under Django's wrapper
                with raw.copy(f"COPY {table} ({col_sql}) FROM STDIN") as copy:
                    buffer: list[str] = []
                    for row in rows:
                        buffer.append("\t".join(map(_copy_text, row)) + tail + "\n")
                        count += 1
                        if len(buffer) >= 5000:
                            copy.write("".join(buffer))
                            buffer.clear()
                    if buffer:
                        copy.write("".join(buffer))
        else:
            marks = ", ".join(["%s"] * len(cols))
            sql = f"INSERT INTO {table} ({col_sql}) VALUES ({marks})"  # noqa: S608
            tail_values = [_sqlite_value(v) for v in extra_values]
            batch: list[list[Any]] = []
            with connection.cursor() as cursor:
                for row in rows:
                    batch.append([_sqlite_value(v) for v in row] + tail_values)
                    count += 1
                    if len(batch) >= 2000:
                        cursor.executemany(sql, batch)
                        batch.clear()
                if batch:
                    cursor.executemany(sql, batch)
        elapsed = time.perf_counter() - started
        self.timings.append((meta.db_table, count, elapsed))
        if model not in self.touched:
            self.touched.append(model)
        # Explicit ids: move the sequence past them now, as later rows may come from the ORM.
        self.reset_sequences([model])
        self.say(f"  {meta.db_table:<34} {count:>10,} 行 {elapsed:>8.1f} 秒")
        return count

    def reset_sequences(self, models_: list[type[models.Model]] | None = None) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), models_ or self.touched)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


# --- The province ---------------------------------------------------------------------------


def read_regions() -> list[tuple[str, str, str, str]]:
    """[(code, name, level, parent code)], the province first, each parent before its children."""
    with DATA.open(encoding="utf-8") as f:
        return [(r["code"], r["name"], r["level"], r["parent_code"]) for r in csv.DictReader(f)]


def is_loaded() -> bool:
    from openday.accounts.models import User

    return User.objects.filter(username=OFFICE_USERNAME).exists()


@dataclass
class Loaded:
    accounts: list[Account]
    timings: list[tuple[str, int, float]]
    seconds: float
    counts: dict[str, int]


def load_province(
    factor: float = 1.0,
    *,
    say: Callable[[str], None] = lambda _line: None,
    today: date | None = None,
) -> Loaded:
    """Load the province's year at a scale factor; refuses a second run into the same database
    (AlreadyLoaded) and SQLite above SQLITE_MAX_FACTOR (Refused)."""
    if factor <= 0 or factor > 1:
        raise Refused("规模系数须大于 0 且不大于 1。")
    if connection.vendor == "sqlite" and factor > SQLITE_MAX_FACTOR:
        raise Refused(
            f"SQLite 上最多生成规模系数 {SQLITE_MAX_FACTOR} 的数据（约 "
            f"{round(UNITS * EVENTS_PER_UNIT * REGISTRATIONS_PER_EVENT * SQLITE_MAX_FACTOR):,}"
            " 条报名）；全省一年的数据请使用 PostgreSQL（设置 DATABASE_URL 后再运行）。"
        )
    if is_loaded():
        raise AlreadyLoaded(
            "数据库中已有全省规模演示数据（账户 scale-office 已存在），不再重复生成。"
            "如需重新生成，请换用一个新的空数据库。"
        )
    started = time.perf_counter()
    today = today or timezone.localdate()
    sink = Sink(now=timezone.now(), say=say)
    with transaction.atomic():
        gen = _Generator(Plan(factor), sink, today)
        accounts = gen.run()
        sink.reset_sequences()
        committing = time.perf_counter()
    # PostgreSQL checks the deferred foreign keys of every row at COMMIT.
    took = time.perf_counter() - committing
    sink.timings.append(("（提交，检查外键）", 0, took))
    say(f"  {'（提交，检查外键）':<28} {'':>10}    {took:>8.1f} 秒")
    if connection.vendor == "postgresql":
        # Fresh statistics: without them the planner takes a million rows for a few hundred
        # (the audit log's first page scanned every entry before the load was analyzed).
        analyzing = time.perf_counter()
        with connection.cursor() as cursor:
            for model in sink.touched:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        took = time.perf_counter() - analyzing
        sink.timings.append(("（ANALYZE）", 0, took))
        say(f"  {'（ANALYZE）':<34} {'':>10}    {took:>8.1f} 秒")
    seconds = time.perf_counter() - started
    counts: dict[str, int] = {}
    for table, n, _s in sink.timings:
        counts[table] = counts.get(table, 0) + n
    return Loaded(accounts=accounts, timings=sink.timings, seconds=seconds, counts=counts)


def scale_accounts() -> list[Account]:
    """The two accounts the province demo prints, if it was loaded: (username, full name,
    where, role, None)."""
    from openday.orgs.models import Membership

    rows: list[Account] = []
    for username in (OFFICE_USERNAME, UNIT_USERNAME):
        m = Membership.objects.filter(user__username=username).select_related("user", "org").first()
        if m is not None:
            rows.append((username, m.user.full_name, m.org.name, m.role, None))
    return rows


def reset_scale_passwords() -> list[Account]:
    from openday.accounts.models import User
    from openday.accounts.services import generate_password

    rows: list[Account] = []
    for username, full_name, where, role, _p in scale_accounts():
        user = User.objects.get(username=username)
        password = generate_password()
        user.set_password(password)
        user.save(update_fields=["password"])
        rows.append((username, full_name, where, role, password))
    return rows


class _Generator:
    def __init__(self, plan: Plan, sink: Sink, today: date):
        self.plan = plan
        self.sink = sink
        self.today = today
        self.year = today.year
        self.now = sink.now

    def say(self, line: str) -> None:
        self.sink.say(line)

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A Shanghai wall-clock time on a day, as an aware UTC datetime."""
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - SHANGHAI_OFFSET

    def run(self) -> list[Account]:
        self.regions()
        self.orgs()
        accounts = self.users()
        self.campaigns()
        self.declarations()
        self.events()
        self.people()
        self.registrations()
        self.opinions()
        self.surveys()
        self.publicity()
        self.audit()
        return accounts

    # --- regions, orgs, people who work there ---

    def regions(self) -> None:
        from openday.orgs.models import Region

        started = time.perf_counter()
        by_code = {r.code: r for r in Region.objects.exclude(code="")}
        created = 0
        for code, name, level, parent_code in read_regions():
            if code in by_code:
                continue
            by_code[code] = Region.objects.create(
                code=code, name=name, level=level, parent=by_code.get(parent_code)
            )
            created += 1
        self.region = by_code
        self.sink.timings.append(("orgs_region", created, time.perf_counter() - started))
        self.say(
            f"  {'orgs_region':<34} {created:>10,} 行 {time.perf_counter() - started:>8.1f} 秒"
        )

    def orgs(self) -> None:
        from openday.orgs.models import Org

        rows = read_regions()
        next_id = self.sink.next_id(Org)
        offices: list[tuple] = []
        self.office_of_region: dict[str, int] = {}
        self.office_path: dict[int, str] = {}
        self.office_name: dict[int, str] = {}
        self.city_offices: list[int] = []
        self.county_offices: list[int] = []
        self.county_name: dict[int, str] = {}
        for code, name, level, parent_code in rows:
            oid = next_id
            next_id += 1
            parent = self.office_of_region.get(parent_code)
            path = (self.office_path[parent] if parent else "") + f"{oid:08d}/"
            title = f"{name}政务公开政务服务领导小组办公室"
            short = {"province": "省", "city": "市", "county": ""}[level]
            offices.append(
                (
                    oid,
                    title,
                    f"{name[:6]}{short}政务公开办",
                    "office",
                    parent,
                    self.region[code].pk,
                    "办公室",
                    f"0731-{8400_0000 + oid % 10_000_000:08d}"[:13],
                    f"gongkai{code}@hunan.gov.cn",
                    f"{name[0]}政务公开办发",
                    True,
                    path,
                )
            )
            self.office_of_region[code] = oid
            self.office_path[oid] = path
            self.office_name[oid] = title
            if level == "city":
                self.city_offices.append(oid)
            elif level == "county":
                self.county_offices.append(oid)
                self.county_name[oid] = name
        self.province_office = offices[0][0]
        self.city_of_county = {
            self.office_of_region[code]: self.office_of_region[parent]
            for code, _n, level, parent in rows
            if level == "county"
        }
        self.region_of_office = {o[0]: o[5] for o in offices}
        # Units: round-robin over the counties, so every county gets its share.
        counties = self.county_offices
        per_county: dict[int, int] = {}
        units: list[tuple] = []
        self.unit_ids: list[int] = []
        self.unit_office: dict[int, int] = {}
        self.unit_name: dict[int, str] = {}
        self.unit_path: dict[int, str] = {}
        for i in range(self.plan.units):
            office = counties[i % len(counties)]
            k = per_county.get(office, 0)
            per_county[office] = k + 1
            kind_name = UNIT_KINDS[k % len(UNIT_KINDS)]
            if k >= len(UNIT_KINDS):
                kind_name = f"第{k // len(UNIT_KINDS) + 1}{kind_name}"
            name = self.county_name[office] + kind_name
            uid = next_id
            next_id += 1
            path = self.office_path[office] + f"{uid:08d}/"
            units.append(
                (
                    uid,
                    name,
                    kind_name[:32],
                    "unit",
                    office,
                    self.region_of_office[office],
                    "办公室",
                    f"0731-{uid % 100_000_000:08d}",
                    "",
                    "",
                    True,
                    path,
                )
            )
            self.unit_ids.append(uid)
            self.unit_office[uid] = office
            self.unit_name[uid] = name
            self.unit_path[uid] = path
        departments = []
        for i, uid in enumerate(self.unit_ids[::5]):
            did = next_id
            next_id += 1
            departments.append(
                (
                    did,
                    DEPARTMENTS[i % len(DEPARTMENTS)],
                    "",
                    "department",
                    uid,
                    self.region_of_office[self.unit_office[uid]],
                    "",
                    "",
                    "",
                    "",
                    True,
                    self.unit_path[uid] + f"{did:08d}/",
                )
            )
        cols = [
            "id",
            "name",
            "short_name",
            "kind",
            "parent_id",
            "region_id",
            "contact_name",
            "contact_phone",
            "email",
            "doc_code",
            "is_active",
            "path",
        ]
        self.sink.write(Org, cols, [*offices, *units, *departments])

    def users(self) -> list[Account]:
        from openday.accounts.models import User
        from openday.accounts.services import generate_password
        from openday.orgs.models import Membership

        next_user = self.sink.next_id(User)
        users: list[tuple] = []
        members: list[tuple] = []
        self.office_user: dict[int, int] = {}
        self.unit_user: dict[int, int] = {}
        for oid in [self.province_office, *self.city_offices, *self.county_offices]:
            users.append((next_user, f"scale-o{oid}", _name(oid), "!scale"))
            members.append((next_user, oid, "office_admin", "政务公开科科长"))
            self.office_user[oid] = next_user
            next_user += 1
        for uid in self.unit_ids:
            users.append((next_user, f"scale-u{uid}", _name(uid + 17), "!scale"))
            members.append((next_user, uid, "unit_admin", "办公室主任"))
            self.unit_user[uid] = next_user
            next_user += 1
        self.sink.write(
            User,
            ["id", "username", "full_name", "password", "is_active", "two_factor_exempt"],
            [(*u, True, True) for u in users],
        )
        self.sink.write(
            Membership,
            ["user_id", "org_id", "role", "title"],
            members,
        )
        # The two accounts a person signs in with: real passwords, printed once.
        accounts: list[Account] = []
        for username, uid_or_office, role, full_name in (
            (OFFICE_USERNAME, self.province_office, "office_admin", "省政务公开办管理员"),
            (UNIT_USERNAME, self.unit_ids[0], "unit_admin", "单位管理员（全省演示）"),
        ):
            user = User(username=username, full_name=full_name)
            password = generate_password()
            user.set_password(password)
            user.two_factor_exempt = True
            user.save()
            Membership.objects.create(user=user, org_id=uid_or_office, role=role, title="")
            where = (
                self.office_name[uid_or_office]
                if role == "office_admin"
                else self.unit_name[uid_or_office]
            )
            accounts.append((username, full_name, where, role, password))
        return accounts

    # --- campaigns, declarations, plans ---

    def campaigns(self) -> None:
        from openday.campaigns import presets
        from openday.campaigns.models import Campaign

        preset: Any = presets.PRESETS["theme_day"]
        next_id = self.sink.next_id(Campaign)
        rows = []
        self.campaign_of_office: dict[int, int] = {}
        year = self.year
        published = self.local(date(year, 3, 20), 10)
        for oid in [self.province_office, *self.city_offices, *self.county_offices]:
            cid = next_id
            next_id += 1
            if oid == self.province_office:
                parent = None
            elif oid in self.city_of_county:
                parent = self.campaign_of_office[self.city_of_county[oid]]
            else:
                parent = self.campaign_of_office[self.province_office]
            place = self.office_name[oid].replace("政务公开政务服务领导小组办公室", "")
            rows.append(
                (
                    cid,
                    oid,
                    parent,
                    year,
                    "theme_day",
                    preset["title"].format(place=place, year=year),
                    preset["theme"],
                    preset["body"],
                    year,
                    1,
                    list(preset["topic_areas"]),
                    list(preset["activity_forms"]),
                    list(preset["guest_categories"]),
                    1,
                    12,
                    date(year, 3, 31),
                    list(preset["name_patterns"]),
                    list(preset["forbidden_names"]),
                    "plan_published",
                    date(year, 3, 18),
                    published,
                    published + timedelta(days=20),
                    self.office_user[oid],
                )
            )
            self.campaign_of_office[oid] = cid
        self.sink.write(
            Campaign,
            [
                "id",
                "office_id",
                "parent_id",
                "year",
                "kind",
                "title",
                "theme",
                "body",
                "doc_year",
                "doc_seq",
                "topic_areas",
                "activity_forms",
                "guest_categories",
                "window_start_month",
                "window_end_month",
                "declaration_deadline",
                "name_patterns",
                "forbidden_names",
                "status",
                "notice_issued_on",
                "notice_published_at",
                "plan_published_at",
                "created_by_id",
            ],
            rows,
        )

    def event_days(self) -> list[tuple[date, bool]]:
        """(day, upcoming) for every event: most held since 1 March (or the last 240 days),
        one in fifty in the next six weeks."""
        start = min(date(self.year, 3, 1), self.today - timedelta(days=60))
        span = max((self.today - timedelta(days=2) - start).days, 1)
        days = []
        for e in range(self.plan.events):
            if e % 50 == 1:
                days.append((self.today + timedelta(days=3 + e % 37), True))
            else:
                days.append((start + timedelta(days=(e * 7919) % span), False))
        return days

    def declarations(self) -> None:
        from openday.campaigns.models import (
            Declaration,
            DeclarationEvent,
            DeclarationRow,
            PlanEntry,
        )

        self.days = self.event_days()
        decl_id = self.sink.next_id(Declaration)
        row_id = self.sink.next_id(DeclarationRow)
        entry_id = self.sink.next_id(PlanEntry)
        decls, rows, entries, history = [], [], [], []
        self.entry_of_unit: dict[int, int] = {}
        self.topic_of_unit: dict[int, int] = {}
        submitted = self.local(date(self.year, 3, 28), 9)
        for i, uid in enumerate(self.unit_ids):
            office = self.unit_office[uid]
            campaign = self.campaign_of_office[office]
            topic, area, forms = TOPICS[i % len(TOPICS)]
            self.topic_of_unit[uid] = i % len(TOPICS)
            day, _ = self.days[i * EVENTS_PER_UNIT]
            theme = f"{self.unit_name[uid]}{topic}开放日"
            intro = (
                f"邀请辖区人大代表、政协委员和群众代表走进{self.unit_name[uid]}，"
                f"围绕{topic}介绍工作举措和成效，现场观摩并座谈交流，收集对{topic}的意见建议。"
            )
            decls.append(
                (decl_id, campaign, uid, "approved", "办公室", submitted, submitted + timedelta(3))
            )
            rows.append((row_id, decl_id, 1, theme, day.month, forms, area, intro))
            week = day - timedelta(days=day.weekday())
            entries.append(
                (
                    entry_id,
                    campaign,
                    row_id,
                    uid,
                    theme,
                    area,
                    forms,
                    intro,
                    "办公室",
                    day.month,
                    day.month,
                    week,
                )
            )
            history.append((decl_id, "submitted", self.unit_user[uid], submitted))
            history.append(
                (decl_id, "approved", self.office_user[office], submitted + timedelta(3))
            )
            self.entry_of_unit[uid] = entry_id
            decl_id += 1
            row_id += 1
            entry_id += 1
        self.sink.write(
            Declaration,
            [
                "id",
                "campaign_id",
                "unit_id",
                "status",
                "contact_name",
                "submitted_at",
                "reviewed_at",
            ],
            decls,
        )
        self.sink.write(
            DeclarationRow,
            ["id", "declaration_id", "seq", "theme", "month", "forms", "topic_area", "intro"],
            rows,
        )
        self.sink.write(
            DeclarationEvent, ["declaration_id", "action", "actor_id", "created_at"], history
        )
        self.sink.write(
            PlanEntry,
            [
                "id",
                "campaign_id",
                "row_id",
                "unit_id",
                "theme",
                "topic_area",
                "forms",
                "intro",
                "contact_name",
                "requested_month",
                "month",
                "week",
            ],
            entries,
        )

    # --- events and registrations ---

    def events(self) -> None:
        from openday.events.models import Event, Quota

        next_id = self.sink.next_id(Event)
        rows, quotas = [], []
        self.event_ids: list[int] = []
        self.event_unit: dict[int, int] = {}
        self.event_start: dict[int, datetime] = {}
        self.event_upcoming: set[int] = set()
        self.event_title: dict[int, str] = {}
        # The full event of the tests and the bench: scale-unit's second, upcoming.
        self.full_event = next_id + 1
        for e, (day, upcoming) in enumerate(self.days):
            uid = self.unit_ids[e // EVENTS_PER_UNIT]
            office = self.unit_office[uid]
            topic, area, forms = TOPICS[(self.topic_of_unit[uid] + e) % len(TOPICS)]
            first = e % EVENTS_PER_UNIT == 0
            title = f"{self.unit_name[uid]}{self.year}年“政务公开主题日”活动"
            if not first:
                title += f"暨{topic}座谈会"
            eid = next_id
            next_id += 1
            starts = self.local(day, 9, 30)
            ends = starts + timedelta(hours=3)
            opens = starts - timedelta(days=20)
            closes = starts - timedelta(days=1)
            if upcoming:
                status = "open"
                self.event_upcoming.add(eid)
            else:
                status = "summarized" if e % 3 == 0 else "held"
            venues = [{"name": f"{self.unit_name[uid]}会议室", "address": self.county_name[office]}]
            agenda = [
                {"time": "09:30", "form": forms[0], "place": "会议室", "host": "办公室"},
                {"time": "10:30", "form": forms[-1], "place": "会议室", "host": "单位负责同志"},
            ]
            rows.append(
                (
                    eid,
                    uid,
                    self.campaign_of_office[office],
                    self.entry_of_unit[uid] if first else None,
                    title,
                    f"{topic}开放日",
                    area,
                    forms,
                    f"围绕{topic}，邀请群众走进{self.unit_name[uid]}。",
                    starts,
                    ends,
                    venues,
                    agenda,
                    CAPACITY,
                    WAITLIST,
                    "open",
                    opens,
                    closes,
                    "我们收集您的姓名和手机号，仅用于本次活动的报名、签到和回访，活动结束一年后删除。",
                    status,
                    self.unit_user[uid],
                    opens - timedelta(days=5),
                )
            )
            for c in CATEGORIES:
                quotas.append((eid, c, CAPACITY // len(CATEGORIES)))
            self.event_ids.append(eid)
            self.event_unit[eid] = uid
            self.event_start[eid] = starts
            self.event_title[eid] = title
        self.sink.write(
            Event,
            [
                "id",
                "unit_id",
                "campaign_id",
                "plan_entry_id",
                "title",
                "theme",
                "topic_area",
                "forms",
                "summary",
                "starts_at",
                "ends_at",
                "venues",
                "agenda",
                "capacity",
                "waitlist_limit",
                "registration_mode",
                "registration_opens_at",
                "registration_closes_at",
                "consent_text",
                "status",
                "created_by_id",
                "created_at",
            ],
            rows,
        )
        self.sink.write(Quota, ["event_id", "category", "seats"], quotas)

    def people(self) -> None:
        """The people who register: each phone encrypted and hashed once."""
        started = time.perf_counter()
        key = settings.HASH_KEY.encode()
        self.person: list[tuple[str, str, str, str]] = []
        for k in range(self.plan.people):
            phone = _phone(k)
            digest = hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()
            self.person.append((_name(k), encrypt(phone), digest, phone[-4:]))
        elapsed = time.perf_counter() - started
        self.sink.timings.append(("（手机号加密）", len(self.person), elapsed))
        self.say(f"  {'（手机号加密）':<30} {len(self.person):>10,} 人 {elapsed:>8.1f} 秒")

    def _registrations(self) -> Iterator[tuple]:
        people = self.person
        npeople = len(people)
        rid = self.first_registration
        self.confirmed_of_event: dict[int, list[int]] = {}
        self.registered: dict[int, int] = {}
        for e, eid in enumerate(self.event_ids):
            full = eid == self.full_event
            n = CAPACITY + WAITLIST if full else REG_MIN + (e * 37) % 81
            if eid in self.event_upcoming and not full:
                n //= 2
            starts = self.event_start[eid]
            upcoming = eid in self.event_upcoming
            first_at = starts - timedelta(days=20)
            last_at = min(starts - timedelta(days=1), self.now - timedelta(hours=1))
            window = max((last_at - first_at).total_seconds(), 3600)
            offset = (e * 7919) % npeople
            confirmed = 0
            per_cat = dict.fromkeys(CATEGORIES, 0)
            waiting = 0
            seats = CAPACITY // len(CATEGORIES)
            kept: list[int] = []
            checker = self.unit_user[self.event_unit[eid]]
            for j in range(n):
                k = (offset + j) % npeople
                name, enc, digest, last4 = people[k]
                category = CATEGORIES[j % len(CATEGORIES)]
                created = first_at + timedelta(seconds=window * j / n)
                cancelled_at = None
                checked_at = None
                checked_by = None
                if not full and j % 25 == 24:
                    status = "cancelled"
                    cancelled_at = created + timedelta(hours=5)
                elif confirmed < CAPACITY and per_cat[category] < seats:
                    status = "confirmed"
                    confirmed += 1
                    per_cat[category] += 1
                    kept.append(rid)
                    if not upcoming and j % 7:
                        checked_at = starts - timedelta(minutes=20 - j % 20)
                        checked_by = checker
                elif waiting < WAITLIST:
                    status = "waitlisted"
                    waiting += 1
                else:
                    status = "cancelled"
                    cancelled_at = created + timedelta(hours=1)
                source = "staff" if j % 20 == 3 else "online"
                yield (
                    rid,
                    eid,
                    name,
                    enc,
                    digest,
                    last4,
                    category,
                    "" if category == "public" else "本地单位",
                    status,
                    source,
                    _code(rid, 17),
                    created,
                    created,
                    cancelled_at,
                    checked_at,
                    checked_by,
                )
                rid += 1
            self.confirmed_of_event[eid] = kept
            self.registered[eid] = n
        self.last_registration = rid

    def registrations(self) -> None:
        from openday.events.models import Registration

        self.first_registration = self.sink.next_id(Registration)
        self.sink.write(
            Registration,
            [
                "id",
                "event_id",
                "name",
                "phone_encrypted",
                "phone_hash",
                "phone_last4",
                "category",
                "organization",
                "status",
                "source",
                "ticket_code",
                "consent_at",
                "created_at",
                "cancelled_at",
                "checked_in_at",
                "checked_in_by_id",
            ],
            self._registrations(),
        )

    # --- opinions, call-backs, rectification ---

    def opinions(self) -> None:
        from openday.opinions.models import Callback, Opinion, RectificationStep

        held = [eid for eid in self.event_ids if eid not in self.event_upcoming]
        first = self.sink.next_id(Opinion)
        steps: list[tuple] = []
        callbacks: list[tuple] = []
        now = self.now
        people = self.person
        # Out of 100: 8 new, 15 assigned, 2 returned, 7 answered, 8 approved, 60 published.
        ladder = [
            (8, "new"),
            (23, "assigned"),
            (25, "returned"),
            (32, "answered"),
            (40, "approved"),
            (100, "published"),
        ]
        decisions = ["adopted", "partly", "explained", "solved", "adopted"]
        sources = ["forum", "forum", "survey", "online", "phone", "paper"]
        self.opinion_rows: list[tuple[int, int, str]] = []  # (id, event, status) for audit

        def rows() -> Iterator[tuple]:
            for k in range(self.plan.opinions):
                oid = first + k
                eid = held[(k * 7919) % len(held)]
                uid = self.event_unit[eid]
                office = self.unit_office[uid]
                status = next(s for limit, s in ladder if (k * 37) % 100 < limit)
                text = OPINION_TEXTS[k % len(OPINION_TEXTS)]
                topic_area = TOPICS[k % len(TOPICS)][1]
                received = min(
                    self.event_start[eid] + timedelta(hours=2, seconds=k % 3600),
                    now - timedelta(days=1),
                )
                anonymous = k % 5 == 0
                name, enc, digest, last4 = (
                    ("", "", "", "") if anonymous else people[(k * 13) % len(people)]
                )
                assigned: Any = None
                unit = assignee = due = None
                answer = decision = review_note = summary = ""
                answered_at: Any = None
                reviewed_at: Any = None
                answered_by = reviewed_by = published_at = None
                if status != "new":
                    unit, assignee = uid, self.unit_user[uid]
                    assigned = min(received + timedelta(days=1), now)
                    due = (assigned + timedelta(days=21)).date()
                if status in ("returned", "answered", "approved", "published"):
                    decision = decisions[k % len(decisions)]
                    answer = ANSWERS[decision]
                    answered_at = min(assigned + timedelta(days=8), now)
                    answered_by = assignee
                if status == "returned":
                    review_note = "答复未写明完成时限，请补充后重新提交。"
                    reviewed_at = min(answered_at + timedelta(days=1), now)
                    reviewed_by = self.office_user[office]
                if status in ("approved", "published"):
                    reviewed_at = min(answered_at + timedelta(days=2), now)
                    reviewed_by = self.office_user[office]
                if status == "published":
                    published_at = min(reviewed_at + timedelta(days=1), now)
                    summary = text[:60]
                    if digest and k % 3 == 0:
                        callbacks.append((oid, eid, uid, name, enc, digest, k))
                    if decision in ("adopted", "partly") and k % 4 == 0:
                        steps.append((oid, answered_at, k))
                self.opinion_rows.append((oid, uid, status))
                yield (
                    oid,
                    _code(k, 101),
                    sources[k % len(sources)],
                    text,
                    summary,
                    office,
                    eid,
                    self.campaign_of_office[office],
                    name,
                    enc,
                    digest,
                    last4,
                    CATEGORIES[k % len(CATEGORIES)] if not anonymous else "",
                    anonymous,
                    received if not anonymous else None,
                    topic_area,
                    "",
                    status,
                    unit,
                    assignee,
                    assigned,
                    due,
                    answer,
                    decision,
                    answered_at,
                    answered_by,
                    review_note,
                    reviewed_at,
                    reviewed_by,
                    published_at,
                    received,
                    received,
                )

        self.sink.write(
            Opinion,
            [
                "id",
                "tracking_code",
                "source",
                "content",
                "summary",
                "office_id",
                "event_id",
                "campaign_id",
                "name",
                "phone_encrypted",
                "phone_hash",
                "phone_last4",
                "category",
                "anonymous",
                "consent_at",
                "topic_area",
                "topic",
                "status",
                "unit_id",
                "assignee_id",
                "assigned_at",
                "due_date",
                "answer",
                "decision",
                "answered_at",
                "answered_by_id",
                "review_note",
                "reviewed_at",
                "reviewed_by_id",
                "published_at",
                "received_at",
                "created_at",
            ],
            rows(),
        )
        outcomes = ["reached", "reached", "reached", "no_answer", "todo"]
        self.sink.write(
            Callback,
            [
                "opinion_id",
                "org_id",
                "name",
                "phone_encrypted",
                "phone_hash",
                "outcome",
                "attempts",
                "satisfaction_handling",
                "satisfaction_event",
                "notes",
                "caller_id",
                "called_at",
            ],
            (
                (
                    oid,
                    uid,
                    name,
                    enc,
                    digest,
                    outcomes[k % 5],
                    0 if k % 5 == 4 else 1,
                    (5 - k % 3) if k % 5 < 3 else None,
                    (5 - k % 2) if k % 5 < 3 else None,
                    "对办理结果表示满意。" if k % 5 < 3 else "",
                    None if k % 5 == 4 else self.unit_user[uid],
                    None if k % 5 == 4 else self.now - timedelta(days=k % 30),
                )
                for oid, _eid, uid, name, enc, digest, k in callbacks
            ),
        )
        self.sink.write(
            RectificationStep,
            ["opinion_id", "description", "planned_date", "done_date"],
            [
                (
                    oid,
                    "制定整改方案并明确责任人",
                    (at + timedelta(days=15)).date(),
                    (at + timedelta(days=12)).date() if k % 8 else None,
                )
                for oid, at, k in steps
            ],
        )

    # --- surveys ---

    def surveys(self) -> None:
        from openday.surveys.models import Answer, Question, Response, Survey

        held = [eid for eid in self.event_ids if eid not in self.event_upcoming]
        with_survey = held[::2] or held
        survey_id = self.sink.next_id(Survey)
        question_id = self.sink.next_id(Question)
        surveys, questions = [], []
        self.survey_questions: dict[int, list[int]] = {}
        self.survey_event: dict[int, int] = {}
        for eid in with_survey:
            uid = self.event_unit[eid]
            opens = self.event_start[eid]
            surveys.append(
                (
                    survey_id,
                    uid,
                    self.campaign_of_office[self.unit_office[uid]],
                    eid,
                    f"{self.event_title[eid]}满意度调查问卷",
                    "感谢您参加本次活动，请花两分钟填写。",
                    "提交成功，感谢您的参与！",
                    "closed",
                    opens,
                    opens + timedelta(days=7),
                    self.unit_user[uid],
                    opens - timedelta(days=2),
                )
            )
            qs = []
            for pos, (kind, title, options, max_choices) in enumerate(
                [
                    (
                        "single",
                        "您是通过什么渠道了解本次活动的？",
                        ["政府网站", "微信公众号", "社区通知", "亲友介绍"],
                        None,
                    ),
                    (
                        "rating",
                        "您对本次活动的总体满意度",
                        ["非常满意", "满意", "一般", "不满意", "非常不满意"],
                        None,
                    ),
                    (
                        "multiple",
                        "您最关注哪些方面？（可多选）",
                        ["政策解读", "办事流程", "项目进展", "民生实事", "营商环境"],
                        3,
                    ),
                    ("textarea", "您对我们的工作还有哪些意见建议？", [], None),
                ],
                start=1,
            ):
                questions.append(
                    (
                        question_id,
                        survey_id,
                        pos,
                        kind,
                        title,
                        kind != "textarea",
                        options,
                        max_choices,
                    )
                )
                qs.append(question_id)
                question_id += 1
            self.survey_questions[survey_id] = qs
            self.survey_event[survey_id] = eid
            survey_id += 1
        self.sink.write(
            Survey,
            [
                "id",
                "org_id",
                "campaign_id",
                "event_id",
                "title",
                "intro",
                "thanks",
                "status",
                "opens_at",
                "closes_at",
                "created_by_id",
                "created_at",
            ],
            surveys,
        )
        self.sink.write(
            Question,
            ["id", "survey_id", "position", "kind", "title", "required", "options", "max_choices"],
            questions,
        )
        survey_ids = list(self.survey_questions)
        first_response = self.sink.next_id(Response)
        answers: list[tuple] = []
        count = self.plan.responses

        def responses() -> Iterator[tuple]:
            per_survey: dict[int, int] = {}
            for k in range(count):
                sid = survey_ids[k % len(survey_ids)]
                rid = first_response + k
                q_single, q_rating, q_multi, q_text = self.survey_questions[sid]
                n = per_survey.get(sid, 0) + 1
                per_survey[sid] = n
                paper = k % 7 == 0
                channel = "paper" if paper else "web"
                category = CATEGORIES[k % len(CATEGORIES)]
                submitted = min(
                    self.event_start[self.survey_event[sid]] + timedelta(hours=3, seconds=n * 17),
                    self.now,
                )
                answers.append((sid, rid, q_single, None, 1 + k % 4, "", category, channel))
                answers.append((sid, rid, q_rating, None, 1 + (k % 10) // 4, "", category, channel))
                answers.append((sid, rid, q_multi, None, 1 + k % 5, "", category, channel))
                if k % 2:
                    answers.append(
                        (sid, rid, q_multi, None, 1 + (k + 2) % 5, "", category, channel)
                    )
                if k % 8 == 0:
                    answers.append(
                        (sid, rid, q_text, None, None, OPINION_TEXTS[k % 16], category, channel)
                    )
                yield (
                    rid,
                    sid,
                    channel,
                    category,
                    "P1" if paper else "",
                    f"{n:05d}" if paper else "",
                    self.survey_unit_user(sid) if paper else None,
                    submitted,
                )

        self.sink.write(
            Response,
            [
                "id",
                "survey_id",
                "channel",
                "category",
                "batch_no",
                "form_no",
                "entered_by_id",
                "submitted_at",
            ],
            responses(),
        )
        self.sink.write(
            Answer,
            [
                "survey_id",
                "response_id",
                "question_id",
                "row",
                "choice",
                "text",
                "category",
                "channel",
            ],
            answers,
        )
        self.answer_count = len(answers)

    def survey_unit_user(self, sid: int) -> int:
        return self.unit_user[self.event_unit[self.survey_event[sid]]]

    # --- articles, summaries ---

    def publicity(self) -> None:
        from openday.publicity.models import Article
        from openday.summaries.models import EventSummary

        held = [eid for eid in self.event_ids if eid not in self.event_upcoming]
        articles = []
        for i, eid in enumerate(held[::2]):
            uid = self.event_unit[eid]
            office = self.unit_office[uid]
            at = min(self.event_start[eid] + timedelta(days=1), self.now)
            status = "published" if i % 10 else "submitted"
            articles.append(
                (
                    self.campaign_of_office[office],
                    eid,
                    uid,
                    "news",
                    f"{self.unit_name[uid]}举办“政务公开主题日”活动"[:120],
                    "群众代表走进机关，面对面交流。",
                    f"{self.unit_name[uid]}举办{self.year}年“政务公开主题日”活动，邀请人大代表、"
                    "政协委员和群众代表参加。\n\n与会人员现场观摩并座谈交流，提出意见建议。",
                    "办公室",
                    status,
                    at,
                    at if status == "published" else None,
                    self.office_user[office] if status == "published" else None,
                    at if status == "published" else None,
                    (eid * 31) % 900,
                    self.unit_user[uid],
                    at,
                )
            )
        self.sink.write(
            Article,
            [
                "campaign_id",
                "event_id",
                "unit_id",
                "kind",
                "title",
                "lead",
                "body",
                "author_name",
                "status",
                "submitted_at",
                "reviewed_at",
                "reviewed_by_id",
                "published_at",
                "views",
                "created_by_id",
                "created_at",
            ],
            articles,
        )
        summaries = []
        for i, eid in enumerate(held[::3]):
            uid = self.event_unit[eid]
            at = min(self.event_start[eid] + timedelta(days=5), self.now)
            summaries.append(
                (
                    eid,
                    f"{self.event_title[eid]}于近日举办，邀请各界代表参加，现场收集意见建议。",
                    "活动前广泛宣传，活动中突出互动交流。",
                    "群众参与面还不够广。",
                    "宣传渠道较少。",
                    "拓展宣传渠道，持续跟踪意见办理。",
                    {"registrations": CAPACITY, "opinions": 20},
                    "submitted" if i % 4 else "draft",
                    at if i % 4 else None,
                    self.unit_user[uid] if i % 4 else None,
                    self.unit_user[uid],
                )
            )
        self.sink.write(
            EventSummary,
            [
                "event_id",
                "overview",
                "experiences",
                "shortcomings",
                "causes",
                "next_steps",
                "figures",
                "status",
                "submitted_at",
                "submitted_by_id",
                "updated_by_id",
            ],
            summaries,
        )

    # --- the audit entries the write paths would have left ---

    def audit(self) -> None:
        from openday.audit.models import AuditEntry

        def rows() -> Iterator[tuple]:
            for eid in self.event_ids:
                uid = self.event_unit[eid]
                start = self.event_start[eid]
                yield (
                    start - timedelta(days=25),
                    self.unit_user[uid],
                    f"scale-u{uid}",
                    "event.created",
                    "events.event",
                    str(eid),
                    self.event_title[eid][:255],
                    uid,
                    self.unit_path[uid],
                    {"status": [None, "draft"]},
                )
            for oid, uid, status in self.opinion_rows:
                yield (
                    self.now - timedelta(seconds=(oid * 7919) % 20_000_000),
                    self.unit_user[uid],
                    f"scale-u{uid}",
                    "opinion.status",
                    "opinions.opinion",
                    str(oid),
                    f"意见 {oid}",
                    uid,
                    self.unit_path[uid],
                    {"status": ["new", status]},
                )
            # The registrations: one entry each, as register() writes.
            rid = self.first_registration
            for eid in self.event_ids:
                uid = self.event_unit[eid]
                path = self.unit_path[uid]
                start = self.event_start[eid] - timedelta(days=10)
                for _ in self._registrations_of(eid):
                    yield (
                        start,
                        None,
                        "公众",
                        "registration.created",
                        "events.registration",
                        str(rid),
                        f"报名（{eid}号活动）",
                        uid,
                        path,
                        {"status": [None, "confirmed"]},
                    )
                    rid += 1

        self.sink.write(
            AuditEntry,
            [
                "created_at",
                "actor_id",
                "actor_label",
                "action",
                "object_type",
                "object_id",
                "object_label",
                "org_id",
                "org_path",
                "changes",
            ],
            rows(),
        )

    def _registrations_of(self, eid: int) -> range:
        """As many as _registrations() wrote for the event."""
        return range(self.registered[eid])


def expected_registrations(factor: float) -> int:
    """How many registrations a load at this factor writes (for tests and the bench)."""
    plan = Plan(factor)
    total = 0
    for e in range(plan.events):
        n = REG_MIN + (e * 37) % 81
        if e == 1:
            n = CAPACITY + WAITLIST
        elif e % 50 == 1:
            n //= 2
        total += n
    return total


def describe(loaded: Loaded) -> str:
    """A one-paragraph summary, in Chinese, of what was loaded."""
    c = loaded.counts
    minutes = loaded.seconds / 60
    return (
        f"已生成全省规模演示数据（用时 {loaded.seconds:.0f} 秒，约 {math.ceil(minutes)} 分钟）："
        f"组织 {c.get('orgs_org', 0):,} 个，活动 {c.get('events_event', 0):,} 场，"
        f"报名 {c.get('events_registration', 0):,} 条，意见建议 {c.get('opinions_opinion', 0):,} 条，"
        f"答卷 {c.get('surveys_response', 0):,} 份（答题 {c.get('surveys_answer', 0):,} 条）。"
    )


def pages() -> list[tuple[str, str, str]]:
    """[(label, who, path)] of the pages the bench times and the tests render, over the
    loaded province: who is "office" (scale-office), "unit" (scale-unit) or "public"."""
    from django.urls import reverse

    from openday.audit.models import AuditEntry
    from openday.campaigns.models import Campaign
    from openday.events.models import Event
    from openday.opinions.models import Opinion
    from openday.orgs.models import Membership
    from openday.surveys.models import Survey

    office = Membership.objects.get(user__username=OFFICE_USERNAME).org
    unit = Membership.objects.get(user__username=UNIT_USERNAME).org
    province = Campaign.objects.filter(office=office).order_by("-year", "id").first()
    county = Campaign.objects.filter(office_id=unit.parent_id).order_by("-year", "id").first()
    assert province is not None and county is not None
    held = Event.objects.filter(unit=unit).order_by("starts_at", "id").first()
    upcoming = Event.objects.filter(unit=unit, status="open").order_by("starts_at", "id").first()
    survey = Survey.objects.filter(org=unit).order_by("id").first()
    assert held is not None and upcoming is not None and survey is not None

    def staff(name: str, *args: int) -> str:
        return reverse(f"control:{name}", args=args)

    def public(name: str, *args: int) -> str:
        return reverse(f"portal:{name}", args=args)

    rows = [
        ("工作台", "dashboard", ""),
        ("组织列表", "org_list", ""),
        ("组织列表 第 50 页", "org_list", "?page=50"),
        ("活动列表", "event_list", ""),
        ("活动列表 第 100 页", "event_list", "?page=100"),
        ("意见列表", "opinion_list", "?mine=0"),
        ("意见列表 办理中", "opinion_list", "?mine=0&status=assigned"),
        ("意见列表 已逾期", "opinion_list", "?mine=0&due=overdue"),
        ("意见列表 搜索", "opinion_list", "?mine=0&q=%E6%97%A0%E9%9A%9C%E7%A2%8D"),
        ("电话回访", "callback_list", ""),
        ("宣传稿件", "article_list", ""),
        ("问卷列表", "survey_list", ""),
        ("活动总结", "summary_index", ""),
        ("年度活动列表", "campaign_list", ""),
        ("意见统计", "opinion_figures", ""),
        ("操作记录", "audit_log", ""),
    ]
    out: list[tuple[str, str, str]] = []
    for who in ("office", "unit"):
        for label, name, query in rows:
            out.append((label, who, staff(name) + query))
    # The audit log pages by keyset (?before=<id>): 50,000 entries back from the newest.
    deep = AuditEntry.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
    mark = deep[min(50_000, max(deep.count() - 1, 0))]
    out.append(("操作记录 5 万条之前", "office", staff("audit_log") + f"?before={mark}"))
    # The opinion list pages by keyset too: 60,000 opinions back from the newest.
    older = Opinion.objects.order_by("-received_at", "-id").values_list("pk", flat=True)
    before = older[min(60_000, max(older.count() - 1, 0))]
    out.append(
        ("意见列表 6 万条之前", "office", staff("opinion_list") + f"?mine=0&before={before}")
    )
    for who, campaign in (("office", province), ("office", county), ("unit", county)):
        place = "省级" if campaign == province else "县级"
        out += [
            (f"年度活动（{place}）", who, staff("campaign_detail", campaign.pk)),
            (f"计划安排（{place}）", who, staff("campaign_plan", campaign.pk)),
        ]
        if who == "office":
            out.append((f"申报情况（{place}）", who, staff("campaign_board", campaign.pk)))
            out.append((f"绩效考核（{place}）", who, staff("evaluation_dashboard", campaign.pk)))
    out.append(
        (
            "绩效考核 下级汇总（省级）",
            "office",
            staff("evaluation_dashboard", province.pk) + "?tab=rollup",
        )
    )
    out += [
        ("活动详情", "unit", staff("event_detail", held.pk)),
        ("问卷结果", "unit", staff("survey_results", survey.pk)),
        ("问卷答卷", "unit", staff("survey_responses", survey.pk)),
        ("首页", "public", public("home")),
        ("活动列表", "public", public("event_list")),
        ("活动页面", "public", public("event_detail", upcoming.pk)),
        ("年度活动（省级）", "public", public("campaign_detail", province.pk)),
        ("年度活动（县级）", "public", public("campaign_detail", county.pk)),
        ("活动专栏（县级）", "public", public("column", county.pk)),
        ("办理结果公开", "public", public("opinion_board")),
    ]
    return out
