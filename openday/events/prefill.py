"""An event's fields filled in from what the product already knows (#20).

When a unit creates the event of an approved 计划安排表 entry, everything the plan, the campaign and
the unit's previous events know is filled in: the 会标 by the campaign's naming rule, the theme,
topic and introduction from the 申报表, the activity forms turned into agenda items, venue, capacity,
directory and consent from the unit's last event, quotas from the campaign's guest categories and
the registration window from the start date. The person confirms and adds what only they know.
"""

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from .models import CATEGORY_NAMES, Event

if TYPE_CHECKING:
    from openday.campaigns.models import PlanEntry
    from openday.orgs.models import Org

# Minutes each activity form usually takes; an agenda starts at the event's start time.
FORM_MINUTES = {
    "浏览介绍": 30,
    "实地调研": 45,
    "实地观摩": 45,
    "现场观摩": 45,
    "座谈交流": 60,
    "政策发布": 30,
    "问卷调查": 15,
}
DEFAULT_START = dt.time(9, 0)
DEFAULT_CAPACITY = 30
# Registration opens this many days before the event (or at once, when that is past) and closes
# at 17:00 on the working day before it.
OPENS_DAYS_BEFORE = 14
CLOSES_AT = dt.time(17, 0)
# The earliest an event created today can be placed, so the public has time to register.
MIN_LEAD_DAYS = 7
PUBLIC = "public"


def last_event(unit: "Org", *, exclude: Event | None = None) -> Event | None:
    """The unit's most recent event (held or not), the model for venue, capacity and directory."""
    events = Event.objects.filter(unit=unit).prefetch_related("quotas").order_by("-starts_at")
    if exclude is not None:
        events = events.exclude(pk=exclude.pk)
    return events.first()


def _working_day_on_or_after(day: dt.date) -> dt.date:
    from openday.workdays.services import is_working_day

    for _ in range(30):
        if is_working_day(day):
            return day
        day += dt.timedelta(days=1)
    return day


def _working_day_before(day: dt.date) -> dt.date:
    from openday.workdays.services import is_working_day

    day -= dt.timedelta(days=1)
    for _ in range(30):
        if is_working_day(day):
            return day
        day -= dt.timedelta(days=1)
    return day


def _local(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def start_day(entry: "PlanEntry", today: dt.date) -> dt.date:
    """The plan week's Tuesday (Monday mornings are for meetings), moved to a working day; an
    entry whose week is too close or past starts MIN_LEAD_DAYS from today instead."""
    earliest = today + dt.timedelta(days=MIN_LEAD_DAYS)
    wanted = entry.week + dt.timedelta(days=1)
    return _working_day_on_or_after(max(wanted, earliest))


def agenda_for(
    forms: list[str], start: dt.datetime, venue: str, previous: Event | None
) -> list[dict[str, str]]:
    """One agenda item per activity form, timed one after another from the start; the place and
    host of the same form in the unit's last event are kept."""
    before = {a.get("form"): a for a in (previous.agenda if previous else []) if a.get("form")}
    items, at = [], timezone.localtime(start)
    for form in forms:
        old = before.get(form, {})
        items.append(
            {
                "time": f"{at:%H:%M}",
                "form": form,
                "place": old.get("place") or venue,
                "host": old.get("host", ""),
            }
        )
        at += dt.timedelta(minutes=FORM_MINUTES.get(form, 30))
    return items


def quotas_for(campaign_categories: list[str], capacity: int) -> dict[str, int]:
    """Seats per guest category the campaign invites: the invited groups (deputies, members,
    experts, media, businesses…) share half of the seats evenly, at least one each, and the
    public (普通群众) has the rest. Categories the campaign does not name are not invited."""
    by_name = {name: code for code, name in CATEGORY_NAMES.items()}
    codes = [by_name[n] for n in campaign_categories if n in by_name]
    if not codes:
        return {}
    guests = [c for c in codes if c != PUBLIC]
    share = max(1, (capacity // 2) // len(guests)) if guests else 0
    quotas = {c: share for c in guests}
    if PUBLIC in codes:
        quotas[PUBLIC] = max(0, capacity - share * len(guests))
    return quotas


def initial_for_plan_entry(
    entry: "PlanEntry", unit: "Org", *, today: dt.date | None = None
) -> dict[str, Any]:
    """The event form's initial values for the event of `entry`."""
    from openday.events.naming_rule import suggest_title

    from .services import DEFAULT_CONSENT

    today = today or timezone.localdate()
    campaign = entry.campaign
    previous = last_event(unit)
    day = start_day(entry, today)
    if previous is not None:
        start_time = timezone.localtime(previous.starts_at).time()
        length = previous.ends_at - previous.starts_at
    else:
        start_time, length = DEFAULT_START, dt.timedelta(hours=2, minutes=30)
    starts_at = _local(day, start_time)
    ends_at = starts_at + length
    venues = previous.venues if previous and previous.venues else []
    venue = venues[0].get("name", "") if venues else ""
    capacity = previous.capacity if previous else DEFAULT_CAPACITY
    if previous is not None and previous.quotas.all():
        quotas = {q.category: q.seats for q in previous.quotas.all()}
    else:
        quotas = quotas_for(list(campaign.guest_categories or []), capacity)
    opens = _local(day - dt.timedelta(days=OPENS_DAYS_BEFORE), dt.time(9, 0))
    patterns = campaign.name_patterns or []
    initial: dict[str, Any] = {
        "title": (
            suggest_title(patterns[0], unit_name=unit.name, year=campaign.year)
            if patterns
            else entry.theme
        ),
        "theme": entry.theme,
        "topic_area": entry.topic_area,
        "activity_forms": list(entry.forms),
        "summary": entry.intro,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "venues_text": "\n".join(
            f"{v.get('name', '')}｜{v.get('address', '')}".rstrip("｜") for v in venues
        ),
        "agenda_text": "\n".join(
            "｜".join([a["time"], a["form"], a["place"], a["host"]]).rstrip("｜")
            for a in agenda_for(list(entry.forms), starts_at, venue, previous)
        ),
        "directory_text": "\n".join(
            "｜".join(
                d.get(k, "") for k in ("name", "functions", "procedures", "key_work", "contacts")
            )
            for d in (previous.directory if previous else [])
        ),
        "capacity": capacity,
        "waitlist_limit": previous.waitlist_limit if previous else 50,
        "registration_mode": previous.registration_mode if previous else Event.Mode.OPEN,
        "registration_opens_at": opens if opens.date() > today else None,
        "registration_closes_at": _local(_working_day_before(day), CLOSES_AT),
        "consent_text": (previous.consent_text if previous else "") or DEFAULT_CONSENT,
    }
    for code, seats in quotas.items():
        initial[f"quota_{code}"] = seats
    return initial


def known_from(entry: "PlanEntry", unit: "Org") -> list[str]:
    """What the prefilled form was filled from, for the line above it."""
    sources = [
        f"计划安排表（{entry.month}月）",
        f"{entry.campaign.year}年度活动的命名规则和邀请对象",
    ]
    previous = last_event(unit)
    if previous is not None:
        sources.append(f"本单位上一场活动“{previous.title}”的地点、名额和介绍")
    return sources
