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

from django.db.models import Avg, Count, Exists, F, OuterRef, Q

from .models import Callback, Opinion, RectificationStep

S, D = Opinion.Status, Opinion.Decision
ANSWERED = [S.ANSWERED, S.APPROVED, S.PUBLISHED]
ADOPTED = [D.ADOPTED, D.PARTLY]
GROUPS = {
    "unit": ("unit_id", "unit__name"),
    "event": ("event_id", "event__title"),
    "campaign": ("campaign_id", "campaign__title"),
    "month": None,
}


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
