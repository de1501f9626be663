"""Keyset pagination for long staff lists, newest first (#21).

A page holds the rows after or before the row a link names (?before=<id>: older ones,
?after=<id>: newer ones), ordered by a timestamp and the id: no OFFSET and no COUNT over a
province's year (bench/scale.py), so the 2,000th page costs what the first does. The pager
(control/_pager.html) shows 上一页 / 下一页 without a page number or a total. Used by the audit log
and the opinion list.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from openday.lib import params as param


class KeysetPage:
    def __init__(
        self,
        qs: QuerySet[Any],
        query: Mapping[str, str],
        *,
        field: str,
        size: int,
        narrow: bool = False,
    ) -> None:
        """`field`: the timestamp the list is ordered by (newest first), ties broken by id.
        `narrow`: the rows are few and found through other indexes; sort them afterwards (an
        expression the ordering index cannot serve) instead of walking the ordering index."""
        before = param.id_or_none(query.get("before"))
        after = param.id_or_none(query.get("after")) if before is None else None
        cursor = before or after
        mark = None
        if cursor is not None:
            mark = qs.model.objects.filter(pk=cursor).values_list(field, flat=True).first()
        if mark is None:
            before = after = None
        when = Coalesce(field, field) if narrow else F(field)
        if after is not None:
            # The redundant bound lets the database start the ordering index at the mark.
            newer = Q(**{f"{field}__gte": mark}) & (
                Q(**{f"{field}__gt": mark}) | Q(**{field: mark, "id__gt": after})
            )
            rows = list(qs.filter(newer).order_by(when.asc(), "id")[: size + 1])
            self.has_previous = len(rows) > size
            self.entries = list(reversed(rows[:size]))
            self.has_next = True
        else:
            if before is not None:
                qs = qs.filter(
                    Q(**{f"{field}__lte": mark}),
                    Q(**{f"{field}__lt": mark}) | Q(**{field: mark, "id__lt": before}),
                )
            rows = list(qs.order_by(when.desc(), "-id")[: size + 1])
            self.has_next = len(rows) > size
            self.entries = rows[:size]
            self.has_previous = before is not None
        self.next_cursor = self.entries[-1].pk if self.entries else None
        self.previous_cursor = self.entries[0].pk if self.entries else None
        self.position = {"before": before} if before else {"after": after} if after else {}

    def __iter__(self) -> Iterator[Any]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
