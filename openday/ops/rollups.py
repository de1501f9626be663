"""Roll-ups: figures too heavy to count on every request, counted once and kept in the database.

A kind (the evaluation of one campaign, the opinion figures of one viewer's scope …) registers
how to count itself from plain parameters, and which page-cache scopes (lib.pagecache) change
it. get() then answers:

- a count that took less than OPENDAY_ROLLUP_HEAVY_MS is made on every request and not stored:
  small offices always see their data as it is;
- a heavy one is stored as a Rollup row with the versions it was counted from. A reader gets
  the row: current when no version changed and it is younger than REFRESH_SECONDS (what no
  version tracks, such as check-ins, shows within that), otherwise marked wanted. The worker's
  roll-up loop recounts wanted rows at once and every read row every REFRESH_SECONDS;
- a row older than STALE_SECONDS (no worker running) is counted again by the reader.

The pages say when the figures they show were counted (Snapshot.computed_at). A failed recount
is logged and kept on the row (failed_at, error), shown on /staff/status/, and the last good
figures are still served; the other rows are still refreshed.
"""

import hashlib
import json
import logging
import pickle
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from openday.lib import pagecache

from .models import Rollup

log = logging.getLogger("openday.rollups")

# A row nobody has read for this long is no longer refreshed, and after KEEP it is deleted.
READ_RECENTLY = timedelta(days=1)
KEEP = timedelta(days=7)
LEASE = timedelta(minutes=10)
# read_at is written at most this often per row (one cheap conditional UPDATE).
TOUCH_EVERY = timedelta(minutes=1)
# While one request counts figures for the first time, others asking for the same wait for
# its row (checking every WAIT_STEP seconds) up to WAIT_SECONDS, then count themselves.
LOCK_SECONDS = 300
WAIT_SECONDS = 30.0
WAIT_STEP = 0.1


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # shown to operators
    compute: Callable[[dict[str, Any]], Any]
    # The page-cache scopes whose change makes a count out of date, or a function of params.
    scopes: tuple[str, ...] | Callable[[dict[str, Any]], tuple[str, ...]]

    def scopes_for(self, params: dict[str, Any]) -> tuple[str, ...]:
        return self.scopes(params) if callable(self.scopes) else self.scopes


KINDS: dict[str, Kind] = {}
# The modules that register kinds, imported before KINDS is read (the worker imports no views).
KIND_MODULES = ("openday.evaluation.scoring", "openday.opinions.figures")


def _kinds() -> dict[str, Kind]:
    for module in KIND_MODULES:
        import_module(module)
    return KINDS


def register(
    name: str,
    label: str,
    scopes: tuple[str, ...] | Callable[[dict[str, Any]], tuple[str, ...]] = (),
):
    """Decorator: `compute(params) -> value` counts the kind `name` (a picklable value)."""

    def wrap(compute: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        KINDS[name] = Kind(name, label, compute, scopes)
        return compute

    return wrap


class Gone(Exception):
    """Raised by a kind's compute when its params no longer name what the row was counted
    for (the user left, or no longer has that scope): the row is dropped, and the next reader
    counts it again as themselves."""


@dataclass(frozen=True)
class Snapshot:
    value: Any
    computed_at: datetime
    stored: bool  # kept as a roll-up (a heavy count), so possibly behind the data a little
    current: bool  # no change known since it was counted


def key_of(kind: str, key: object) -> str:
    text = json.dumps([kind, key], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _heavy(took_ms: float, params: dict[str, Any] | None = None) -> bool:
    """Whether to keep a count: it took long, or it is one of many a page adds up
    (params["keep"], see get())."""
    return took_ms >= settings.OPENDAY_ROLLUP_HEAVY_MS or bool(params and params.get("keep"))


def _count(kind: Kind, params: dict[str, Any]) -> tuple[Any, dict[str, int], int]:
    """(value, the versions read before counting, milliseconds taken)."""
    scopes = kind.scopes_for(params)
    versions = pagecache.versions(scopes) if scopes else {}
    started = time.perf_counter()
    value = kind.compute(params)
    return value, versions, int((time.perf_counter() - started) * 1000)


def _store(key: str, kind: Kind, params, value, versions, took_ms, now) -> None:
    fields = {
        "kind": kind.name,
        "params": params,
        "value": pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
        "versions": versions,
        "computed_at": now,
        "took_ms": took_ms,
        "read_at": now,
        "wanted_at": None,
        "refreshing_until": None,
        "failed_at": None,
        "error": "",
    }
    if Rollup.objects.filter(key=key).update(**fields):
        return
    try:
        with transaction.atomic():
            Rollup.objects.create(key=key, **fields)
    except IntegrityError:  # another request stored it meanwhile
        Rollup.objects.filter(key=key).update(**fields)


def get(kind_name: str, params: dict[str, Any], key: object = None, keep: bool = False) -> Snapshot:
    """The kind's figures for `params` (stored under `key`, default the params themselves).

    keep: store it however quick the count, for a page that adds up many of them (the
    evaluation's roll-up of 14 cities: each count is light, all of them together are not)."""
    kind = _kinds()[kind_name]
    if keep:
        params = {**params, "keep": True}
        key = params if key is None else [key, "keep"]
    row_key = key_of(kind_name, params if key is None else key)
    now = timezone.now()
    row = (
        Rollup.objects.filter(key=row_key, computed_at__isnull=False)
        .only("value", "versions", "computed_at", "read_at", "wanted_at")
        .first()
    )
    if row is not None and row.value is not None and row.computed_at is not None:
        age = now - row.computed_at
        if age <= timedelta(seconds=settings.OPENDAY_ROLLUP_STALE_SECONDS):
            scopes = kind.scopes_for(params)
            current = age <= timedelta(seconds=settings.OPENDAY_ROLLUP_REFRESH_SECONDS) and (
                not scopes or row.versions == pagecache.versions(scopes)
            )
            touch: dict[str, Any] = {}
            if row.read_at < now - TOUCH_EVERY:
                # The last reader's params: someone who certainly has this scope now.
                touch.update(read_at=now, params=params)
            if not current and row.wanted_at is None:
                touch["wanted_at"] = now
            if touch:
                Rollup.objects.filter(key=row_key).update(**touch)
            # Only _store() and refresh_due() write the value, from this application's counts.
            value = pickle.loads(bytes(row.value))  # noqa: S301
            return Snapshot(value, row.computed_at, True, current)
    lock = f"openday:rollup-counting:{row_key}"
    if not _hold(lock):
        # Another request is counting the same figures (the first visit of a province's
        # scope takes seconds): wait for its row rather than count them again at once.
        counted = _wait_for(row_key, lock, after=row.computed_at if row is not None else None)
        if counted is not None:
            return counted
    try:
        value, versions, took = _count(kind, params)
        if _heavy(took, params):
            _store(row_key, kind, params, value, versions, took, now)
        elif row is not None:
            Rollup.objects.filter(key=row_key).delete()  # light again: counted per request
    finally:
        _release(lock)
    return Snapshot(value, now, _heavy(took, params), True)


def _hold(lock: str) -> bool:
    """Take the shared cache's counting lock; True also when the cache cannot be reached
    (then every reader counts for itself, as without the lock)."""
    try:
        return bool(cache.add(lock, 1, LOCK_SECONDS))
    except Exception:
        log.warning("roll-up lock %s: the cache cannot be reached", lock, exc_info=True)
        return True


def _release(lock: str) -> None:
    try:
        cache.delete(lock)
    except Exception:
        log.warning("roll-up lock %s: the cache cannot be reached", lock, exc_info=True)


def _wait_for(row_key: str, lock: str, after: datetime | None) -> Snapshot | None:
    """The row another request stores while it holds `lock`; None when it stored none (a
    light count, or it failed) or took longer than WAIT_SECONDS: then the caller counts."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP)
        try:
            held = cache.get(lock) is not None
        except Exception:
            return None
        if not held:
            break
    rows = Rollup.objects.filter(key=row_key, computed_at__isnull=False)
    if after is not None:  # newer than the out-of-date row this reader found
        rows = rows.filter(computed_at__gt=after)
    row = rows.only("value", "computed_at").first()
    if row is None or row.value is None or row.computed_at is None:
        return None
    value = pickle.loads(bytes(row.value))  # noqa: S301 - written by _store() alone
    return Snapshot(value, row.computed_at, True, True)


def recount(kind_name: str, params: dict[str, Any], key: object = None) -> bool:
    """Count now and store the result if heavy (the pages' 立即重新统计). False when the
    worker or another reader is counting it right now (one count at a time per row)."""
    kind = _kinds()[kind_name]
    row_key = key_of(kind_name, params if key is None else key)
    now = timezone.now()
    free = Q(refreshing_until=None) | Q(refreshing_until__lt=now)
    exists = Rollup.objects.filter(key=row_key).exists()
    if exists and not Rollup.objects.filter(free, key=row_key).update(refreshing_until=now + LEASE):
        return False
    try:
        value, versions, took = _count(kind, params)
    except Exception:
        Rollup.objects.filter(key=row_key).update(refreshing_until=None)
        raise
    if _heavy(took, params):
        _store(row_key, kind, params, value, versions, took, timezone.now())
    elif exists:
        Rollup.objects.filter(key=row_key).delete()  # light again: counted per request
    return True


def _due(now: datetime) -> list[Rollup]:
    """Rows to recount: read lately, not being recounted, and wanted, old, or out of date."""
    refresh = timedelta(seconds=settings.OPENDAY_ROLLUP_REFRESH_SECONDS)
    rows = list(
        Rollup.objects.filter(read_at__gte=now - READ_RECENTLY)
        .filter(Q(refreshing_until=None) | Q(refreshing_until__lt=now))
        .only("key", "kind", "params", "versions", "computed_at", "wanted_at", "failed_at")
    )
    kinds = _kinds()
    scopes = {s for r in rows if r.kind in kinds for s in kinds[r.kind].scopes_for(r.params)}
    current = pagecache.versions(scopes) if scopes else {}
    due = []
    for r in rows:
        kind = kinds.get(r.kind)
        if kind is None:
            continue
        if r.failed_at and r.failed_at > now - refresh:
            continue  # failed lately: try again after a period, not in a loop
        old = r.computed_at is None or r.computed_at <= now - refresh
        changed = any(r.versions.get(s) != current.get(s) for s in kind.scopes_for(r.params))
        if r.wanted_at or old or changed:
            due.append(r)
    due.sort(key=lambda r: (r.wanted_at is None, r.wanted_at or now, r.computed_at or now))
    return due


def refresh_due(limit: int = 20, now: datetime | None = None) -> dict[str, int]:
    """Recount the rows that are due (the worker's roll-up loop and housekeeping); each on
    its own: one that fails is logged and recorded on its row, the others still run."""
    now = now or timezone.now()
    counts = {"refreshed": 0, "failed": 0, "dropped": 0}
    for row in _due(now)[:limit]:
        claimed = Rollup.objects.filter(
            Q(refreshing_until=None) | Q(refreshing_until__lt=now), key=row.key
        ).update(refreshing_until=timezone.now() + LEASE)
        if not claimed:
            continue
        fresh = Rollup.objects.filter(key=row.key).first()
        if fresh is None:  # deleted since it was claimed (a reader found it light)
            continue
        kind = _kinds()[fresh.kind]
        try:
            # A savepoint: a database error in one count must not abort the others' writes.
            with transaction.atomic():
                value, versions, took = _count(kind, fresh.params)
        except Gone as exc:
            log.info("roll-up %s dropped: %s", fresh.kind, exc)
            Rollup.objects.filter(key=row.key).delete()
            counts["dropped"] += 1
            continue
        except Exception as exc:
            log.exception("roll-up %s (%s) failed", fresh.kind, fresh.params)
            Rollup.objects.filter(key=row.key).update(
                refreshing_until=None,
                wanted_at=None,
                failed_at=timezone.now(),
                error="".join(traceback.format_exception_only(exc)).strip()[:2000],
            )
            counts["failed"] += 1
            continue
        if not _heavy(took, fresh.params):  # light again: readers count it per request
            Rollup.objects.filter(key=row.key).delete()
            counts["dropped"] += 1
            continue
        Rollup.objects.filter(key=row.key).update(
            value=pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
            versions=versions,
            computed_at=timezone.now(),
            took_ms=took,
            refreshing_until=None,
            wanted_at=None,
            failed_at=None,
            error="",
        )
        counts["refreshed"] += 1
    return counts


def forget_old(now: datetime | None = None) -> int:
    """Delete rows nobody has read for KEEP (housekeeping)."""
    now = now or timezone.now()
    deleted, _ = Rollup.objects.filter(read_at__lt=now - KEEP).delete()
    return deleted


def housekeeping() -> dict[str, int]:
    """The housekeeping step: catch up where no worker runs, and drop what nobody reads."""
    counts = refresh_due(limit=200)
    counts["forgotten"] = forget_old()
    return counts


def status(now: datetime | None = None) -> dict[str, Any]:
    """For /staff/status/: how many roll-ups are kept, the oldest one read lately, failures."""
    now = now or timezone.now()
    live = Rollup.objects.filter(read_at__gte=now - READ_RECENTLY)
    oldest = (
        live.exclude(computed_at=None).order_by("computed_at").values_list("computed_at", flat=True)
    ).first()
    failed = [
        {
            "kind": _kinds()[r.kind].label if r.kind in KINDS else r.kind,
            "failed_at": r.failed_at,
            "error": r.error,
        }
        for r in live.exclude(failed_at=None).order_by("-failed_at")[:20]
    ]
    return {
        "kept": live.count(),
        "oldest_seconds": int((now - oldest).total_seconds()) if oldest is not None else None,
        "refresh_seconds": settings.OPENDAY_ROLLUP_REFRESH_SECONDS,
        "failed": failed,
    }
