"""Loading the demo data: one idempotent function, called by `openday demo`."""

from datetime import date
from typing import Any

from django.db import transaction

from openday.accounts.models import User
from openday.accounts.services import generate_password
from openday.orgs.models import Membership, Org, Region

from . import seed_data as seed


def _region(ref: str | None) -> Region | None:
    if not ref:
        return None
    if ref.isdecimal():
        return Region.objects.get(code=ref)
    return Region.objects.get(name=ref)


def _org(name: str, kind: str, parent: Org | None, region: Region | None, **extra: Any) -> Org:
    org, created = Org.objects.get_or_create(
        parent=parent, name=name, defaults={"kind": kind, "region": region, **extra}
    )
    if created or not org.path:
        prefix = parent.path if parent else ""
        org.path = f"{prefix}{org.pk:08d}/"
        org.save(update_fields=["path"])
    return org


def load_demo(reset_passwords: bool = False) -> list[tuple[str, str, str, str, str | None]]:
    """Create what is missing; returns [(username, full name, where, role, password or None)]."""
    with transaction.atomic():
        for code, name, level, parent_ref in seed.REGIONS:
            parent = _region(parent_ref)
            lookup = {"code": code} if code else {"parent": parent, "name": name}
            Region.objects.get_or_create(
                **lookup, defaults={"name": name, "level": level, "parent": parent, "code": code}
            )
        by_name: dict[str, Org] = {}
        for name, short, kind, parent_name, region_ref, contact, phone, email, doc in seed.ORGS:
            by_name[name] = _org(
                name,
                kind,
                by_name.get(parent_name),
                _region(region_ref),
                short_name=short,
                contact_name=contact,
                contact_phone=phone,
                email=email,
                doc_code=doc,
            )
        kaifu = by_name[seed.KAIFU_OFFICE]
        district = kaifu.region
        for name in seed.KAIFU_UNITS:
            by_name[name] = _org(
                name,
                "unit",
                kaifu,
                district,
                short_name=name.replace("开福区", "区").replace("长沙市", ""),
            )
        for name in seed.KAIFU_STREETS:
            by_name[name] = _org(name, "unit", kaifu, district, short_name=name)
        town = by_name[seed.TOWN]
        for name in seed.TOWN_DEPARTMENTS:
            by_name[name] = _org(name, "department", town, town.region)
        by_name[seed.VILLAGE_COMMITTEE] = _org(
            seed.VILLAGE_COMMITTEE,
            "department",
            town,
            Region.objects.get(name="孟和杭沙尔村"),
            short_name="孟和杭沙尔村",
        )

        accounts = []
        for username, full_name, org_name, role, title in seed.ACCOUNTS:
            user = User.objects.filter(username=username).first()
            password = None
            if user is None:
                user = User(username=username, full_name=full_name)
                password = generate_password()
                user.set_password(password)
                user.is_superuser = role == "operator"
                # Demo accounts need no second factor, so a newcomer can try the product.
                user.two_factor_exempt = True
                user.save()
            elif reset_passwords:
                password = generate_password()
                user.set_password(password)
                user.save(update_fields=["password"])
            where = "全部（系统运维）"
            if org_name:
                org = by_name[org_name]
                Membership.objects.get_or_create(
                    user=user, org=org, defaults={"role": role, "title": title}
                )
                where = org.name
            accounts.append((username, full_name, where, role, password))
    return accounts


def town_open_day(year: int) -> date:
    """The day of 沙日浩来镇's open day in a year: 6 June (seed 000, 2023), or the Monday
    after when 6 June falls on a weekend."""
    from datetime import timedelta

    day = date(year, 6, 6)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def town_event_title(year: int) -> str:
    return f"沙日浩来镇{year}年“政府开放日”活动"


def housing_event_title(year: int) -> str:
    return f"开福区住房和城乡建设局{year}年“政务公开主题日”活动暨老旧小区改造现场观摩"


def load_demo_campaigns(year: int = 2023) -> None:
    """Both seeds' campaigns of a year (2023, as in the seeds, unless told otherwise), with
    declarations in every state and published plans."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from openday.campaigns import services as campaigns
    from openday.campaigns.models import Campaign, Declaration, DeclarationEvent

    from . import campaign_data as data

    shanghai = ZoneInfo("Asia/Shanghai")
    kaifu = Org.objects.get(name=seed.KAIFU_OFFICE)
    naiman = Org.objects.get(name=seed.NAIMAN_OFFICE)
    office_user = User.objects.filter(username="kf-office").first()
    if not Campaign.objects.filter(office=kaifu, year=year).exists():
        fields = campaigns.preset_fields("theme_day", kaifu, year)
        fields.update(
            declaration_deadline=date(year, 4, 3),
            upper_documents="《湖南省政务公开政务服务领导小组办公室关于印发〈湖南省“政务公开主题日”活动实施方案〉的通知》"
            f"（湘政务公开办发〔{year}〕1号）\n《关于印发〈长沙市{year}年“政务公开主题日”活动实施方案〉的通知》",
        )
        campaign = campaigns.create_campaign(office_user, kaifu, **fields)
        campaign = campaigns.issue_notice(office_user, campaign)
        Campaign.objects.filter(pk=campaign.pk).update(
            doc_year=year,
            doc_seq=1,
            notice_issued_on=date(year, 3, 28),
            notice_published_at=datetime(year, 3, 28, 10, 0, tzinfo=shanghai),
        )
        campaign.refresh_from_db()
        streets = list(seed.KAIFU_STREETS)
        for unit in campaigns.units_of(campaign):
            if unit.name == data.SILENT_UNIT:
                continue
            if unit.name in data.KAIFU_THEMES:
                theme, month, forms, area, intro = data.KAIFU_THEMES[unit.name]
            else:
                i = streets.index(unit.name) if unit.name in streets else 0
                topic, area, forms = data.STREET_TOPICS[i % len(data.STREET_TOPICS)]
                theme = f"{unit.name}{topic}开放日"
                month = 4 + (i * 5) % 8
                intro = (
                    f"邀请辖区人大代表、政协委员和居民代表走进{unit.name}，围绕{topic}介绍工作举措和成效，"
                    f"现场观摩并座谈交流，收集居民对{topic}的意见建议。"
                )
            declaration = campaigns.declaration_for(campaign, unit)
            fields = {
                "contact_name": "",
                "contact_phone": "0731-8439" + f"{unit.pk:04d}"[-4:],
                "seal_note": "",
            }
            fields["contact_name"] = "办公室"
            rows = [
                {"theme": theme, "month": month, "forms": forms, "topic_area": area, "intro": intro}
            ]
            campaigns.save_declaration(office_user, declaration, fields, rows, submit=True)
            late = unit.name == data.LATE_UNIT
            submitted = datetime(year, 4, 6 if late else 3, 9, unit.pk % 50, tzinfo=shanghai)
            Declaration.objects.filter(pk=declaration.pk).update(
                submitted_at=submitted, is_late=late
            )
            if unit.name == data.RETURNED_UNIT:
                campaigns.review_declaration(
                    office_user, declaration, approve=False, comment=data.RETURN_COMMENT
                )
            else:
                campaigns.review_declaration(office_user, declaration, approve=True)
        DeclarationEvent.objects.filter(declaration__campaign=campaign).update(
            created_at=datetime(year, 4, 7, 15, 0, tzinfo=shanghai)
        )
        campaigns.generate_plan(office_user, campaign)
        campaigns.publish_plan(office_user, campaign)
        Campaign.objects.filter(pk=campaign.pk).update(
            plan_published_at=datetime(year, 4, 12, 9, 0, tzinfo=shanghai)
        )
    naiman_user = User.objects.filter(username="nm-office").first()
    if not Campaign.objects.filter(office=naiman, year=year).exists():
        fields = campaigns.preset_fields("open_day", naiman, year)
        fields.update(
            declaration_deadline=date(year, 5, 20),
            window_start_month=6,
            window_end_month=10,
            contact_name="",
            contact_phone="",
            contact_email="",
        )
        campaign = campaigns.create_campaign(naiman_user, naiman, **fields)
        campaign = campaigns.issue_notice(naiman_user, campaign)
        # Seed 000 implements 奈政办字〔2023〕5号.
        Campaign.objects.filter(pk=campaign.pk).update(
            notice_issued_on=date(year, 5, 8), doc_year=year, doc_seq=5
        )
        campaign.refresh_from_db()
        town = Org.objects.get(name=seed.TOWN)
        declaration = campaigns.declaration_for(campaign, town)
        theme, month, forms, area, intro = data.TOWN_DECLARATION
        campaigns.save_declaration(
            naiman_user,
            declaration,
            {"contact_name": "党政综合办公室", "contact_phone": "0475-4600000"},
            [{"theme": theme, "month": month, "forms": forms, "topic_area": area, "intro": intro}],
            submit=True,
        )
        Declaration.objects.filter(pk=declaration.pk).update(
            submitted_at=datetime(year, 5, 15, 10, 0, tzinfo=shanghai)
        )
        campaigns.review_declaration(naiman_user, declaration, approve=True)
        campaigns.generate_plan(naiman_user, campaign)
        entry = campaign.plan_entries.get()
        # Seed 000: the town's open day is on 2023-06-06, in the week of Monday 5 June.
        day = town_open_day(year)
        campaigns.move_entry(naiman_user, entry, day - timedelta(days=day.weekday()))
        campaigns.publish_plan(naiman_user, campaign)


DEMO_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
DEMO_GIVEN = [
    "建国",
    "秀兰",
    "志强",
    "桂英",
    "海燕",
    "国华",
    "敏",
    "静",
    "磊",
    "丽娟",
    "宝音",
    "其其格",
    "巴特尔",
    "晓东",
    "春梅",
    "德胜",
    "玉兰",
    "文博",
    "娜仁",
    "永刚",
]


def town_event_fields() -> dict[str, Any]:
    """What 沙日浩来镇's open day shows (seed 000): theme, venues, agenda, departments."""
    return {
        "theme": "共同参与，以开放促发展",
        "topic_area": "政府自身建设",
        "forms": ["浏览介绍", "实地观摩", "座谈交流"],
        "summary": "让群众走进政府机关，了解政府运行，监督政府工作。",
        "venues": [
            {"name": "沙日浩来镇政府综合服务大厅", "address": "沙日浩来镇政府"},
            {"name": "孟和杭沙尔村低水高调工程项目区", "address": "孟和杭沙尔村"},
        ],
        "agenda": [
            {
                "time": "08:30",
                "form": "浏览介绍",
                "place": "综合服务大厅",
                "host": "党政综合办公室",
            },
            {
                "time": "09:30",
                "form": "实地观摩",
                "place": "孟和杭沙尔村低水高调工程项目区",
                "host": "经济发展办公室",
            },
            {
                "time": "10:30",
                "form": "座谈交流",
                "place": "镇政府会议室",
                "host": "镇主要负责同志",
            },
        ],
        "directory": [
            {
                "name": "党政综合办公室",
                "functions": "负责镇党委、政府日常运转，文电、会务、政务公开",
                "procedures": "政府信息公开申请到综合服务大厅窗口或在线提交，20个工作日内答复",
                "key_work": "政务公开标准化规范化建设",
                "contacts": "综合服务大厅一号窗口",
            },
            {
                "name": "经济发展办公室",
                "functions": "负责农牧业生产、项目建设和招商引资",
                "procedures": "项目咨询、农牧业补贴申报到窗口登记，材料齐全当场受理",
                "key_work": "孟和杭沙尔村低水高调工程项目建设",
                "contacts": "综合服务大厅二号窗口",
            },
            {
                "name": "社会事务办公室",
                "functions": "负责民政、社会保障、卫生健康和教育事务",
                "procedures": "低保、养老保险等业务在便民服务中心一窗受理",
                "key_work": "民生实事项目落实",
                "contacts": "综合服务大厅三号窗口",
            },
        ],
    }


def load_demo_events(year: int = 2023) -> None:
    """沙日浩来镇's open day (seed 000) with registrations and check-ins; a 开福区 event."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from openday.campaigns.models import Campaign, PlanEntry
    from openday.events import services as events
    from openday.events.models import Event, Registration

    shanghai = ZoneInfo("Asia/Shanghai")
    town = Org.objects.get(name=seed.TOWN)
    town_admin = User.objects.filter(username="shrhl-admin").first()
    day = town_open_day(year)
    if not Event.objects.filter(unit=town, title=town_event_title(year)).exists():
        campaign = Campaign.objects.filter(office=town.parent, year=year).first()
        entry = PlanEntry.objects.filter(campaign=campaign, unit=town).first() if campaign else None
        quotas = {
            "deputy": 6,
            "member": 4,
            "model": 2,
            "media": 3,
            "business": 4,
            "trader": 4,
            "public": 17,
        }
        event = events.create_event(
            town_admin,
            town,
            title=town_event_title(year),
            **town_event_fields(),
            starts_at=datetime(day.year, day.month, day.day, 8, 30, tzinfo=shanghai),
            ends_at=datetime(day.year, day.month, day.day, 11, 30, tzinfo=shanghai),
            capacity=40,
            quotas=quotas,
            campaign=campaign,
            plan_entry=entry,
            publish=True,
        )
        categories = [c for c, n in quotas.items() for _ in range(min(n, 3))]
        for i, category in enumerate(categories):
            name = DEMO_SURNAMES[i % len(DEMO_SURNAMES)] + DEMO_GIVEN[i % len(DEMO_GIVEN)]
            r = events.register(
                event.pk,
                name=name,
                phone=f"1390475{i:04d}",
                category=category,
                consent=True,
                source=Registration.Source.STAFF,
                actor=town_admin,
            )
            if i % 5 != 4:
                events.check_in(town_admin, event, r.ticket_code)
        before = day - timedelta(days=5)
        Registration.objects.filter(event=event).update(
            created_at=datetime(before.year, before.month, before.day, 9, 0, tzinfo=shanghai),
            consent_at=datetime(before.year, before.month, before.day, 9, 0, tzinfo=shanghai),
        )
        Registration.objects.filter(event=event).exclude(checked_in_at=None).update(
            checked_in_at=datetime(day.year, day.month, day.day, 8, 20, tzinfo=shanghai)
        )
        events.set_status(town_admin, event, Event.Status.HELD)
    housing = Org.objects.get(name="开福区住房和城乡建设局")
    unit_admin = User.objects.filter(username="kf-unit-admin").first()
    entry = PlanEntry.objects.filter(unit=housing, event=None, campaign__year=year).first()
    if entry and not Event.objects.filter(unit=housing, title=housing_event_title(year)).exists():
        monday = entry.week
        events.create_event(
            unit_admin,
            housing,
            title=housing_event_title(year),
            theme=entry.theme,
            topic_area=entry.topic_area,
            forms=entry.forms,
            summary=entry.intro,
            starts_at=datetime(monday.year, monday.month, monday.day, 9, 0, tzinfo=shanghai),
            ends_at=datetime(monday.year, monday.month, monday.day, 11, 30, tzinfo=shanghai),
            venues=[{"name": "开福区老旧小区改造项目现场", "address": "长沙市开福区"}],
            capacity=30,
            quotas={"deputy": 5, "member": 5, "media": 4, "public": 16},
            campaign=entry.campaign,
            plan_entry=entry,
        )


DEMO_SUGGESTIONS = [
    "希望低水高调工程完工后定期公开灌溉用水和收益情况。",
    "综合服务大厅的办事指南可以做成图文版，老年人看得更明白。",
    "建议开放日多安排一些村里的群众参加，名额可以再多一点。",
    "座谈时间有点短，很多人没来得及发言，建议延长或会后收集书面意见。",
    "希望农牧业补贴的发放进度能在村务公开栏及时公布。",
    "办事大厅周末能不能安排值班窗口，方便外出务工的人回来办事。",
    "项目区道路雨后泥泞，建议先把田间道路修一修。",
    "活动很好，让我们知道了政府每天在做什么，希望每年都办。",
]


def load_demo_surveys(year: int = 2023) -> None:
    """The town open day's satisfaction survey: answers on phones and on paper, then closed."""
    import random
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from openday.events.models import Event
    from openday.surveys import services as surveys
    from openday.surveys.models import Response, Survey

    shanghai = ZoneInfo("Asia/Shanghai")
    event = Event.objects.filter(unit__name=seed.TOWN, title=town_event_title(year)).first()
    admin = User.objects.filter(username="shrhl-admin").first()
    if event is None or admin is None or Survey.objects.filter(event=event).exists():
        return
    day = timezone.localtime(event.starts_at).date()
    survey = surveys.create_survey(
        admin,
        event.unit,
        template="event",
        event=event,
        campaign=event.campaign,
        title=f"沙日浩来镇{year}年“政府开放日”活动满意度调查问卷",
    )
    surveys.set_status(admin, survey, Survey.Status.OPEN)
    questions = list(survey.questions.exclude(kind="section"))
    rating, matrix, channels, score, any_advice, advice = questions
    rng = random.Random(int(f"{day:%Y%m%d}"))
    categories = ["deputy", "member", "model", "media", "business", "trader", "public", "public"]
    for i in range(36):
        has_advice = rng.random() < 0.4
        answers = {
            rating.pk: rng.choices([1, 2, 3, 4], weights=[55, 30, 12, 3])[0],
            matrix.pk: {
                str(r): rng.choices([1, 2, 3, 4], weights=[50, 35, 12, 3])[0]
                for r in range(1, len(matrix.rows) + 1)
            },
            channels.pk: sorted(rng.sample(range(1, len(channels.options) + 1), rng.randint(1, 3))),
            score.pk: rng.choices(range(11), weights=[1, 0, 0, 1, 1, 2, 4, 8, 14, 16, 20])[0],
            any_advice.pk: 1 if has_advice else 2,
        }
        if has_advice:
            answers[advice.pk] = DEMO_SUGGESTIONS[i % len(DEMO_SUGGESTIONS)]
        category = categories[i % len(categories)]
        if i < 24:
            r = surveys.submit_response(
                survey.pk, answers, device_id=f"demo-device-{i}", category=category
            )
        else:
            r = surveys.enter_paper(
                admin,
                survey,
                batch_no=f"{day:%Y%m%d}",
                form_no=str(i - 23),
                category=category,
                answers=answers,
            )
        Response.objects.filter(pk=r.pk).update(
            submitted_at=datetime(day.year, day.month, day.day, 11, 0, tzinfo=shanghai)
            + timedelta(minutes=i)
        )
    surveys.expand_pending(survey.pk)
    surveys.set_status(admin, survey, Survey.Status.CLOSED)


def load_demo_opinions(year: int = 2023) -> None:
    """Real public messages and replies as opinions of the demo events, in every state."""
    import csv
    from datetime import datetime, timedelta
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from django.db.models import Q
    from django.utils import timezone

    from openday.events.models import Event
    from openday.opinions import services as ops
    from openday.opinions.models import Callback, Opinion
    from openday.surveys.models import Answer

    seed_events = Event.objects.filter(
        Q(unit__name=seed.TOWN, title=town_event_title(year))
        | Q(unit__name="开福区住房和城乡建设局", title=housing_event_title(year))
    )
    if Opinion.objects.filter(event__in=seed_events).exists():
        return
    shanghai = ZoneInfo("Asia/Shanghai")
    path = Path(__file__).resolve().parent / "data" / "opinions.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    housing = Org.objects.get(name="开福区住房和城乡建设局")
    town = Org.objects.get(name=seed.TOWN)
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "kf-office",
                "kf-unit-admin",
                "kf-handler",
                "nm-office",
                "shrhl-admin",
                "shrhl-handler",
            ]
        )
    }
    trees = []
    for unit, office_name, admin_name, handler_name in (
        (housing, "kf-office", "kf-unit-admin", "kf-handler"),
        (town, "nm-office", "shrhl-admin", "shrhl-handler"),
    ):
        event = seed_events.filter(unit=unit).first()
        if event is None or not all(u in users for u in (office_name, admin_name, handler_name)):
            continue
        if event.ends_at > timezone.now() - timedelta(days=30):
            continue  # the answers and rectification below would be dated in the future
        trees.append((unit, event, users[office_name], users[admin_name], users[handler_name]))
    if not trees:
        return
    # The state each row ends in, in order; the two trees share the rows 14 / 10.
    plan = [
        "published",
        "published",
        "published",
        "published",
        "published",
        "approved",
        "answered",
        "answered",
        "assigned",
        "assigned_overdue",
        "returned",
        "new",
        "new",
        "merged",
    ]
    decisions = [
        "adopted",
        "partly",
        "explained",
        "solved",
        "adopted",
        "partly",
        "adopted",
        "explained",
        "adopted",
        "partly",
    ]
    sources = [
        Opinion.Source.FORUM,
        Opinion.Source.ONLINE,
        Opinion.Source.PAPER,
        Opinion.Source.PHONE,
    ]
    chunks = [rows[:14], rows[14:]]
    for (unit, event, office_user, admin, handler), chunk in zip(trees, chunks, strict=False):
        day = timezone.localtime(event.starts_at).date()
        made = []
        for i, row in enumerate(chunk):
            state = plan[i % len(plan)]
            anonymous = i % 5 == 3
            received = datetime(day.year, day.month, day.day, 11, 0, tzinfo=shanghai)
            o = ops.submit_opinion(
                content=row["body"][:2000],
                source=sources[i % len(sources)],
                event=event,
                name="" if anonymous else DEMO_SURNAMES[i] + DEMO_GIVEN[i % len(DEMO_GIVEN)],
                phone="" if anonymous else f"139073{i:02d}{unit.pk % 100:02d}{i:01d}"[:11],
                anonymous=anonymous,
                consent=True,
                category=["public", "deputy", "business", "member", "media"][i % 5],
                actor=admin,
                received_at=received,
            )
            ops.classify(admin, o, summary=row["title"][:200], topic_area=event.topic_area)
            made.append(o)
            if state == "new":
                continue
            if state == "merged":
                ops.merge(office_user, made[0], [o])
                continue
            ops.assign(office_user, o, unit=unit, assignee=handler, today=day)
            if state == "assigned_overdue":
                continue
            if state == "assigned":
                Opinion.objects.filter(pk=o.pk).update(
                    due_date=timezone.localdate() + timedelta(days=9)
                )
                continue
            decision = decisions[i % len(decisions)]
            ops.answer(handler, o, text=row["reply"][:5000], decision=decision)
            if decision in ("adopted", "partly"):
                step = ops.add_step(
                    handler,
                    o,
                    description="按答复意见组织整改并向群众反馈",
                    planned_date=day + timedelta(days=30),
                )
                if i % 2 == 0:
                    ops.complete_step(handler, step, done_date=day + timedelta(days=25))
            answered = received + timedelta(days=3 + i)
            Opinion.objects.filter(pk=o.pk).update(answered_at=answered)
            if state == "answered":
                continue
            if state == "returned":
                ops.review(admin, o, approve=False, note="答复未说明整改时限，请补充后再提交。")
                continue
            ops.review(admin, o, approve=True, publish=state == "published")
            Opinion.objects.filter(pk=o.pk).update(
                reviewed_at=answered + timedelta(days=1),
                published_at=(answered + timedelta(days=1)) if state == "published" else None,
            )
        # Two of the town survey's suggestions become opinions, as staff would with one click.
        for answer in Answer.objects.filter(survey__event=event).exclude(text="")[:2]:
            ops.opinion_from_answer(admin, answer)
        # Call-backs: the submitters of published opinions; some reached, one not.
        ops.build_call_list(admin, event=event)
        for k, cb in enumerate(Callback.objects.filter(event=event, opinion__isnull=False)):
            if k <= 2:
                log_demo_call(admin, cb, k)


def log_demo_call(admin: User, callback: Any, k: int, *, retry_at: Any = None) -> None:
    """The demo's k-th call-back: the first two reached and satisfied, the others no answer."""
    from openday.opinions import services as ops
    from openday.opinions.models import Callback

    if k < 2:
        ops.log_call(
            admin,
            callback,
            outcome=Callback.Outcome.REACHED,
            satisfaction_handling=5 - k,
            satisfaction_event=5,
            notes="对答复和整改情况表示满意。",
        )
    else:
        ops.log_call(admin, callback, outcome=Callback.Outcome.NO_ANSWER, retry_at=retry_at)
