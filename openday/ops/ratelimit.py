"""Rate limits kept in the shared store, so they hold across processes, nodes and restarts.

A rule counts events per key (a phone, an address, a tracking code) in fixed windows. The
counters live in the database (RateCounter, one upsert per check) or, when REDIS_URL is set,
in Redis (INCR with an expiry). Keys are keyed hashes, never the phone or address itself.

Limits per phone, per code and per account carry the load; limits per address only stop
floods, because Chinese mobile carriers put thousands of phones behind one address and an
office network does the same: by default 1,000 registrations from one address all succeed.
Every rule can be changed with OPENDAY_RATE_LIMITS (docs/operator.md).
"""

import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openday.lib.personal_data import lookup_hash


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int  # events allowed per window
    seconds: int  # the window
    message: str  # the Chinese reason shown when the limit is reached


DEFAULTS = {
    "registration.phone": (20, 3600, "这个手机号的报名过于频繁，请稍后再试。"),
    "registration.address": (5000, 600, "来自您所在网络的报名请求过多，请稍后再试。"),
    "opinion.phone": (10, 3600, "这个手机号提交的意见建议过多，请稍后再试。"),
    "opinion.address": (120, 60, "来自您所在网络的意见建议提交过于频繁，请稍后再试。"),
    "survey.address": (600, 60, "来自您所在网络的问卷提交过于频繁，请稍后再试。"),
    "lookup.address": (30, 600, "查询失败次数过多，为保护群众信息，请稍后再试。"),
    "lookup.code": (5, 3600, "这个查询码的查询失败次数过多，为保护群众信息，请稍后再试。"),
    # Staff sign-in (accounts/services.py) counts failures only, never successes: an office
    # puts all its staff behind one address.
    "signin.address": (20, 600, "来自您所在网络的登录失败次数过多，请稍后再试。"),
    # Wrong codes at the second step, per account (only someone with the password gets there).
    "signin.second_factor": (
        10,
        3600,
        "两步验证失败次数过多，请一小时后再试，或请系统运维人员重置两步验证。",
    ),
}


class Limited(Exception):
    """A rule's limit is reached; retry_after is in whole seconds (for the Retry-After header)."""

    def __init__(self, rule: Rule, retry_after: int):
        super().__init__(rule.message)
        self.rule = rule
        self.message = rule.message
        self.retry_after = max(1, retry_after)


def too_many_requests(request: HttpRequest, exc: Limited) -> HttpResponse:
    """The 429 answer to a limit no view caught: the API's error shape under /api/, a page in
    Chinese elsewhere; Retry-After on both. (Form pages catch Limited themselves and answer 429
    with the form and what was typed.)"""
    if request.path_info.startswith("/api/"):
        from openday.api.v1 import error

        response = error("too_many_requests", exc.message, 429, retry_after=exc.retry_after)
    else:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        context = {
            "title": "操作过于频繁",
            "message": f"{exc.message}请约 {minutes} 分钟后再试。",
            "code": 429,
        }
        response = render(request, "error.html", context, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def rules() -> dict[str, Rule]:
    """The rules in force: DEFAULTS, with OPENDAY_RATE_LIMITS ({"name": "limit/seconds"}) over them."""
    found = {name: Rule(name, *values) for name, values in DEFAULTS.items()}
    for name, value in (settings.OPENDAY_RATE_LIMITS or {}).items():
        if name in found:
            limit, _, seconds = str(value).partition("/")
            found[name] = Rule(
                name, int(limit), int(seconds or found[name].seconds), found[name].message
            )
    return found


# A high limit (a flood limit per address) is counted on SHARDS rows picked at random, each
# with an equal share of the limit: a burst from one address then does not queue on one hot
# counter row (the upsert locks it). The first row past its share ends the window, so the
# rule starts refusing a little before its limit (for 5000 in a window: after about 4,700,
# 4,400 at the earliest, in a simulation of 200 windows).
SHARDS = 8
SHARD_ABOVE = 400


@dataclass(frozen=True)
class _Share:
    """The part of a rule one counter row carries."""

    rule: Rule
    limit: int


# A counter: the share of its rule it carries, its key in the store, its window's start.
_Key = tuple[_Share, str, int]
# Count per (store key, window start).
_Counts = dict[tuple[str, int], int]


def _keys(pairs: Iterable[tuple[str, object]], now: float, *, counting: bool) -> list[_Key]:
    """[(share, store key, window start)] for the (rule name, value) pairs that have a value.

    When only reading (blocked()), a sharded rule is read on one shard as well: the shards
    fill evenly, so one at its share means the rule is at its limit."""
    found = rules()
    out = []
    for name, value in pairs:
        if not value:
            continue
        rule = found[name]
        start = int(now // rule.seconds * rule.seconds)
        key = f"rl:{name}:{lookup_hash(str(value))[:40]}"
        if rule.limit > SHARD_ABOVE:
            shard = random.randrange(SHARDS) if counting else 0
            key, share = f"{key}:{shard}", _Share(rule, math.ceil(rule.limit / SHARDS))
        else:
            share = _Share(rule, rule.limit)
        out.append((share, key, start))
    return out


def _increment_db(keys: list[_Key]) -> _Counts:
    placeholders = ", ".join(["(%s, %s, 1)"] * len(keys))
    params = [v for _rule, key, start in keys for v in (key, start)]
    table = connection.ops.quote_name("ops_ratecounter")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, count) VALUES {placeholders}"  # noqa: S608 - fixed names
            " ON CONFLICT (key, window_start) DO UPDATE SET count = "
            f"{table}.count + 1 RETURNING key, window_start, count",
            params,
        )
        return {(key, start): count for key, start, count in cursor.fetchall()}


def _read_db(keys: list[_Key]) -> _Counts:
    from .models import RateCounter

    counts = {}
    for _rule, key, start in keys:
        row = RateCounter.objects.filter(key=key, window_start=start).values_list("count").first()
        counts[(key, start)] = row[0] if row else 0
    return counts


def _cache_key(key: str, start: int) -> str:
    return f"{key}:{start}"


def _increment_cache(keys: list[_Key]) -> _Counts:
    counts = {}
    for share, key, start in keys:
        rule = share.rule
        name = _cache_key(key, start)
        cache.add(name, 0, rule.seconds + 5)
        try:
            counts[(key, start)] = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, rule.seconds + 5)
            counts[(key, start)] = 1
    return counts


def _read_cache(keys: list[_Key]) -> _Counts:
    return {(key, start): cache.get(_cache_key(key, start)) or 0 for _r, key, start in keys}


def _shared_cache() -> bool:
    return bool(settings.REDIS_URL)


def _raise_if_over(keys: list[_Key], counts: _Counts, now: float, *, counted: bool) -> None:
    for share, key, start in keys:
        # hit() counted this event, so the limit is reached when the count passes it;
        # blocked() only looks, so it is reached when the count is at it.
        count = counts[(key, start)]
        over = count > share.limit if counted else count >= share.limit
        if over:
            rule = share.rule
            raise Limited(rule, math.ceil(start + rule.seconds - now))


def hit(*pairs: tuple[str, object], now: float | None = None) -> None:
    """Count one event against each (rule name, value) pair; raise Limited if any rule is over.

    Values that are empty (no phone given) are not counted. One round trip to the store."""
    if not settings.OPENDAY_RATE_LIMITS_ENABLED:
        return
    now = now or time.time()
    keys = _keys(pairs, now, counting=True)
    if not keys:
        return
    counts = _increment_cache(keys) if _shared_cache() else _increment_db(keys)
    _raise_if_over(keys, counts, now, counted=True)


def blocked(*pairs: tuple[str, object], now: float | None = None) -> None:
    """Raise Limited if any rule has already reached its limit, without counting (look-ups
    count only their failures, with hit())."""
    if not settings.OPENDAY_RATE_LIMITS_ENABLED:
        return
    now = now or time.time()
    keys = _keys(pairs, now, counting=False)
    if not keys:
        return
    counts = _read_cache(keys) if _shared_cache() else _read_db(keys)
    _raise_if_over(keys, counts, now, counted=False)


def forget_old(now: float | None = None) -> int:
    """Delete counters of windows that ended more than a day ago (housekeeping)."""
    from .models import RateCounter

    now = now or time.time()
    longest = max(rule.seconds for rule in rules().values())
    deleted, _ = RateCounter.objects.filter(window_start__lt=now - longest - 86400).delete()
    return deleted
