"""Figures of the opinions loop, counted in the database, grouped by event, unit or campaign.

Definitions (also in docs/opinions.md):
- received: every opinion, merged duplicates included;
- handled: received minus merged duplicates (each matter once);
- assigned: handled opinions given to a responsible unit;
- answered: with an answer (awaiting review, approved or published);
- on time: answered no later than the due date (the date the answer was first given);
- adopted: decision 采纳 or 部分采纳; adoption rate = adopted / answered;
- rectified: adopted opinions with at least one rectification step, all steps done;
  rectification rate = rectified / adopted;
- satisfaction: mean 1–5 of the call-backs reached (handling, and the event for events).
"""

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.core.cache import cache
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Sum

from openday.lib import pagecache
from openday.ops import rollups

from .access import scope_key
from .models import Callback, Opinion, RectificationStep

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from openday.orgs.access import Access

_T = TypeVar("_T")
log = logging.getLogger(__name__)

S, D = Opinion.Status, Opinion.Decision
ANSWERED = [S.ANSWERED, S.APPROVED, S.PUBLISHED]
ADOPTED = [D.ADOPTED, D.PARTLY]
GROUPS = {
    "unit": ("unit_id", "unit__name"),
    "event": ("event_id", "event__title"),
    "campaign": ("campaign_id", "campaign__title"),
    "month": None,
}


# Lighter counts for a page (the opinion list's filter choices) are kept in the shared cache
# under the viewer's scope (opinions.access.scope_key), what was asked and the versions of
# the page cache's scopes they show (lib.pagecache); the dashboard's heavy figures are
# roll-ups (page_figures, at the end of this module). "board" is bumped by every
# saved or audited opinion change (steps of rectification included), "callbacks" by every call-back,
# "site"/"events"/"campaigns" by the names shown. A change makes a new key, so no entry
# outlives the data it was counted from; CACHE_SECONDS only bounds how long unused ones stay.
CACHE_SCOPES = ("board", "callbacks", "site", "events", "campaigns")
CACHE_SECONDS = 6 * 3600


def cached(
    access: "Access",
    what: str,
    parts: tuple[object, ...],
    compute: Callable[[], _T],
    scopes: tuple[str, ...] = CACHE_SCOPES,
    seconds: int = CACHE_SECONDS,
) -> _T:
    """compute(), or what it returned for this viewer's scope, parts and the data's versions
    (of `scopes`; fewer, with a short `seconds`, for what may lag behind the opinions a little).
    The versions are read first: a change made while computing gives the next request a new key."""
    current = pagecache.versions(scopes)
    digest = hashlib.sha1(
        repr((what, scope_key(access), parts, sorted(current.items()))).encode(),
        usedforsecurity=False,
    ).hexdigest()
    key = f"opinionfigures:{digest}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, seconds)
    return found


def _rate(part, whole):
    return round(part * 100 / whole, 1) if whole else None


def _annotated(opinions):
    open_step = RectificationStep.objects.filter(opinion=OuterRef("pk"), done_date=None)
    any_step = RectificationStep.objects.filter(opinion=OuterRef("pk"))
    return opinions.annotate(_open_steps=Exists(open_step), _any_step=Exists(any_step))


def counts(opinions):
    """The figures of a queryset of opinions, as one aggregate query."""
    handled = ~Q(status=S.MERGED)
    row = _annotated(opinions).aggregate(
        received=Count("id"),
        handled=Count("id", filter=handled),
        assigned=Count("id", filter=handled & ~Q(status=S.NEW)),
        answered=Count("id", filter=Q(status__in=ANSWERED)),
        on_time=Count("id", filter=Q(status__in=ANSWERED, answered_at__date__lte=F("due_date"))),
        adopted=Count("id", filter=Q(status__in=ANSWERED, decision__in=ADOPTED)),
        rectified=Count(
            "id",
            filter=Q(status__in=ANSWERED, decision__in=ADOPTED, _any_step=True, _open_steps=False),
        ),
        published=Count("id", filter=Q(status=S.PUBLISHED)),
    )
    return _finish(row, _satisfaction(Callback.objects.filter(opinion__in=opinions)))


def _satisfaction(callbacks):
    reached = callbacks.filter(outcome=Callback.Outcome.REACHED)
    agg = reached.aggregate(
        h=Avg("satisfaction_handling"), e=Avg("satisfaction_event"), n=Count("id")
    )
    return {
        "callbacks_reached": agg["n"],
        "satisfaction": round(agg["h"], 2) if agg["h"] is not None else None,
        "event_satisfaction": round(agg["e"], 2) if agg["e"] is not None else None,
    }


def _finish(row, satisfaction):
    row.update(
        on_time_rate=_rate(row["on_time"], row["answered"]),
        adoption_rate=_rate(row["adopted"], row["answered"]),
        rectification_rate=_rate(row["rectified"], row["adopted"]),
        **satisfaction,
    )
    return row


def by(opinions, group):
    """[{key, label, **figures}] per unit, event or campaign (those with opinions), by count."""
    key, label = GROUPS[group]
    handled = ~Q(status=S.MERGED)
    rows = (
        _annotated(opinions)
        .exclude(**{key: None})
        .values(key, label)
        .annotate(
            received=Count("id"),
            handled=Count("id", filter=handled),
            assigned=Count("id", filter=handled & ~Q(status=S.NEW)),
            answered=Count("id", filter=Q(status__in=ANSWERED)),
            on_time=Count(
                "id", filter=Q(status__in=ANSWERED, answered_at__date__lte=F("due_date"))
            ),
            adopted=Count("id", filter=Q(status__in=ANSWERED, decision__in=ADOPTED)),
            rectified=Count(
                "id",
                filter=Q(
                    status__in=ANSWERED, decision__in=ADOPTED, _any_step=True, _open_steps=False
                ),
            ),
            published=Count("id", filter=Q(status=S.PUBLISHED)),
        )
        .order_by("-received", label)
    )
    sat_key = {
        "unit": "opinion__unit_id",
        "event": "opinion__event_id",
        "campaign": "opinion__campaign_id",
    }[group]
    sats = {
        r[sat_key]: r
        for r in Callback.objects.filter(opinion__in=opinions, outcome=Callback.Outcome.REACHED)
        .values(sat_key)
        .annotate(h=Avg("satisfaction_handling"), e=Avg("satisfaction_event"), n=Count("id"))
    }
    out = []
    for r in rows:
        s = sats.get(r[key], {})
        sat = {
            "callbacks_reached": s.get("n", 0),
            "satisfaction": round(s["h"], 2) if s.get("h") is not None else None,
            "event_satisfaction": round(s["e"], 2) if s.get("e") is not None else None,
        }
        figures = _finish({k: v for k, v in r.items() if k not in (key, label)}, sat)
        out.append({"key": r[key], "label": r[label], **figures})
    return out


FIGURE_KEYS = (
    "received",
    "handled",
    "assigned",
    "answered",
    "on_time",
    "adopted",
    "rectified",
    "published",
)


def _rectified_ids():
    """Opinions with at least one rectification step, all of them done (a small subquery:
    cheaper than two EXISTS per opinion over a province's year)."""
    return (
        RectificationStep.objects.order_by()
        .values("opinion_id")
        .annotate(open_steps=Count("id", filter=Q(done_date=None)))
        .filter(open_steps=0)
        .values("opinion_id")
    )


def dashboard(opinions):
    """{"total": counts(opinions), "groups": {group: by(opinions, group)}} for unit, event and
    campaign, the same figures in two aggregate queries (one over the opinions grouped by unit,
    event and campaign, one over their call-backs), added up here, and one query per group
    for the names. For the opinions dashboard at a province's scale (bench/scale.py)."""
    handled = ~Q(status=S.MERGED)
    answered = Q(status__in=ANSWERED)
    adopted = answered & Q(decision__in=ADOPTED)
    keys = ("unit_id", "event_id", "campaign_id")
    rows = list(
        opinions.order_by()
        .values(*keys)
        .annotate(
            received=Count("id"),
            handled=Count("id", filter=handled),
            assigned=Count("id", filter=handled & ~Q(status=S.NEW)),
            answered=Count("id", filter=answered),
            on_time=Count("id", filter=answered & Q(answered_at__date__lte=F("due_date"))),
            adopted=Count("id", filter=adopted),
            rectified=Count("id", filter=adopted & Q(pk__in=_rectified_ids())),
            published=Count("id", filter=Q(status=S.PUBLISHED)),
        )
    )
    sat_rows = list(
        Callback.objects.filter(opinion__in=opinions, outcome=Callback.Outcome.REACHED)
        .order_by()
        .values("opinion__unit_id", "opinion__event_id", "opinion__campaign_id")
        .annotate(
            n=Count("id"),
            h_sum=Sum("satisfaction_handling"),
            h_n=Count("satisfaction_handling"),
            e_sum=Sum("satisfaction_event"),
            e_n=Count("satisfaction_event"),
        )
    )

    def add(into, row, names):
        for name in names:
            into[name] = into.get(name, 0) + (row[name] or 0)

    sat_names = ("n", "h_sum", "h_n", "e_sum", "e_n")
    totals = {}
    per = {g: {} for g in ("unit", "event", "campaign")}
    sats = {g: {} for g in per}
    for r in rows:
        add(totals, r, FIGURE_KEYS)
        for g, k in zip(per, keys, strict=True):
            if r[k] is not None:
                add(per[g].setdefault(r[k], {}), r, FIGURE_KEYS)
    sat_total = {}
    for r in sat_rows:
        add(sat_total, r, sat_names)
        for g, k in zip(per, keys, strict=True):
            if r[f"opinion__{k}"] is not None:
                add(sats[g].setdefault(r[f"opinion__{k}"], {}), r, sat_names)

    def satisfaction(s):
        return {
            "callbacks_reached": s.get("n", 0),
            "satisfaction": round(s["h_sum"] / s["h_n"], 2) if s.get("h_n") else None,
            "event_satisfaction": round(s["e_sum"] / s["e_n"], 2) if s.get("e_n") else None,
        }

    total = _finish({k: totals.get(k, 0) for k in FIGURE_KEYS}, satisfaction(sat_total))
    groups = {}
    for g, figures in per.items():
        field, label = GROUPS[g]
        model = opinions.model._meta.get_field(field.removesuffix("_id")).related_model
        title = label.split("__", 1)[1]
        names = dict(model._default_manager.filter(pk__in=list(figures)).values_list("pk", title))
        out = [
            {
                "key": pk,
                "label": names.get(pk, ""),
                **_finish(dict(f), satisfaction(sats[g].get(pk, {}))),
            }
            for pk, f in figures.items()
        ]
        out.sort(key=lambda r: (-r["received"], r["label"]))
        groups[g] = out
    return {"total": total, "groups": groups}


def by_month(opinions):
    """Received and answered per month (Asia/Shanghai), for the trend chart."""
    from django.db.models.functions import TruncMonth

    received = dict(
        opinions.annotate(m=TruncMonth("received_at")).values_list("m").annotate(n=Count("id"))
    )
    answered = dict(
        opinions.exclude(answered_at=None)
        .annotate(m=TruncMonth("answered_at"))
        .values_list("m")
        .annotate(n=Count("id"))
    )
    months = sorted(set(received) | set(answered))
    return [
        {
            "month": m.strftime("%Y-%m"),
            "received": received.get(m, 0),
            "answered": answered.get(m, 0),
        }
        for m in months
    ]


def decisions(opinions):
    rows = dict(
        opinions.filter(status__in=ANSWERED).values_list("decision").annotate(n=Count("id"))
    )
    return [{"code": c, "label": label, "count": rows.get(c, 0)} for c, label in D.choices]


def event_callbacks(event):
    """Satisfaction from participants' call-backs of an event (not tied to an opinion)."""
    return _satisfaction(Callback.objects.filter(event=event))


# --- The opinions dashboard, as roll-ups (ops.rollups) ---------------------------------------
# A province's figures take seconds to count (the hot topics most): they are kept as roll-ups
# per viewer scope and year, refreshed by the worker after a change, so no reader waits.


def _access_of(params):
    """The access of the user the figures are counted as; rollups.Gone when that user is
    gone or no longer has the scope the row is kept under (the next reader counts anew)."""
    from openday.accounts.models import User
    from openday.orgs.access import Access

    user = User.objects.filter(pk=params["user"], is_active=True).first()
    access = Access(user) if user is not None else None
    if access is None or scope_key(access) != params["scope"]:
        raise rollups.Gone(f"user {params['user']} no longer has scope {params['scope']}")
    return access


def scoped(access: "Access", year: object) -> "QuerySet[Opinion]":
    from .access import visible

    opinions = visible(access)
    return opinions.filter(received_at__year=year) if year else opinions


@rollups.register("opinion_figures", "意见建议办理统计", scopes=CACHE_SCOPES)
def _page_figures(params):
    from .access import visible

    access = _access_of(params)
    opinions = scoped(access, params["year"])
    years = sorted({d.year for d in visible(access).dates("received_at", "year")}, reverse=True)
    return {
        **dashboard(opinions),
        "months": by_month(opinions),
        "decisions": decisions(opinions),
        "years": years,  # for the page's year filter
    }


@rollups.register("opinion_topics", "意见建议热点", scopes=CACHE_SCOPES)
def _page_topics(params):
    from .triage import topics_of

    opinions = scoped(_access_of(params), params["year"])  # rollups.Gone is not swallowed
    try:
        topics = topics_of(opinions)
    except Exception:  # a help for the summary; the figures must show without it
        log.exception("hot topics failed")
        return []
    # Plain values (the template reads o.pk, o.tracking_code, o.short).
    return [
        (
            label,
            count,
            [{"pk": o.pk, "tracking_code": o.tracking_code, "short": o.short} for o in reps],
        )
        for label, count, reps in topics
    ]


PAGE_KINDS = ("opinion_figures", "opinion_topics")


def _page_params(access: "Access", year: object) -> tuple[dict[str, object], list[object]]:
    """(params, key): counted as this user, stored for everyone with the same scope."""
    user = access.user.pk if access.user.is_authenticated else 0
    scope = scope_key(access)
    return {"user": user, "scope": scope, "year": year}, [scope, year]


def page_figures(access: "Access", year: object, what: str = "opinion_figures") -> rollups.Snapshot:
    """The dashboard's figures (or hot topics) for this viewer's scope and year."""
    params, key = _page_params(access, year)
    return rollups.get(what, params, key=key)


def recount_page(access: "Access", year: object, what: str) -> bool:
    params, key = _page_params(access, year)
    return rollups.recount(what, params, key=key)
