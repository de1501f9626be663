"""Triage for staff: suggested category and responsible unit, near-duplicates, hot topics, and
each office's own models learning from what its staff decide.

The text engine is openday.triage (offline; a starter model trained on public messages ships
with the code). This module holds the office-specific parts: labels, models, retraining.
"""

import random
from dataclasses import dataclass

from django.db import transaction

from openday.audit.services import record
from openday.orgs.models import Org

from .models import Opinion, TriageLabel, TriageModel

RETRAIN_EVERY = 20  # new labels since the active model before retraining is queued
MIN_EXAMPLES = 30  # an office model needs at least this many labelled opinions
HELD_BACK = 0.2
# Day one, before an office has labelled anything: the starter model's category suggests a unit
# by the words usually found in the responsible department's name.
UNIT_WORDS = {
    "城乡建设": ["住房和城乡建设", "住建", "城管", "自然资源", "规划"],
    "劳动和社会保障": ["人力资源和社会保障", "人社", "医疗保障", "民政"],
    "教育文体": ["教育", "文化", "体育", "文旅"],
    "商贸旅游": ["商务", "市场监督", "文化旅游", "文旅", "发展和改革"],
    "环境保护": ["生态环境", "环保", "水利", "城管"],
    "卫生计生": ["卫生健康", "卫健", "医疗保障"],
    "交通运输": ["交通运输", "交通", "公安"],
}


@dataclass
class Suggested:
    value: str  # a category label, or a unit's id as text
    label: str  # what staff read
    confidence: float
    terms: list


def _engine():
    from openday import triage

    return triage


def _active(office, target):
    return (
        TriageModel.objects.filter(office=office, target=target, active=True)
        .order_by("-created_at")
        .first()
    )


_cache = {}


def model_for(office, target):
    """(classifier, the TriageModel or None for the starter) — cached per stored model."""
    engine = _engine()
    row = _active(office, target) if office is not None else None
    if row is None:
        return (
            (engine.starter_model(), None)
            if target == TriageModel.Target.CATEGORY
            else (None, None)
        )
    if row.pk not in _cache:
        _cache.clear()
        _cache[row.pk] = engine.TextClassifier.from_bytes(bytes(row.data))
    return _cache[row.pk], row


def suggest_category(opinion, top=3):
    clf, _row = model_for(opinion.office, TriageModel.Target.CATEGORY)
    return [
        Suggested(s.label, s.label, s.confidence, s.terms)
        for s in clf.suggest(opinion.content, top=top)
    ]


def units_under(office):
    return list(Org.objects.filter(path__startswith=office.path, kind=Org.Kind.UNIT, is_active=True)
                .order_by("path"))  # fmt: skip


def suggest_unit(opinion, top=3):
    """The office's own unit model when it has one; else the category's usual department."""
    units = {str(u.pk): u for u in units_under(opinion.office)}
    clf, _row = model_for(opinion.office, TriageModel.Target.UNIT)
    if clf is not None:
        out = []
        for s in clf.suggest(opinion.content, top=top):
            if s.label in units:
                out.append(Suggested(s.label, units[s.label].name, s.confidence, s.terms))
        return out
    out = []
    for cat in suggest_category(opinion, top=2):
        for word in UNIT_WORDS.get(cat.value, []):
            unit = next((u for u in units.values() if word in u.name), None)
            if unit is not None and all(o.value != str(unit.pk) for o in out):
                out.append(Suggested(str(unit.pk), unit.name, cat.confidence, cat.terms))
                break
    return out


def record_label(actor, opinion, target, value, *, suggested="", confidence=None):
    """Staff decided value for opinion (accepting the suggestion or correcting it)."""
    TriageLabel.objects.update_or_create(
        opinion=opinion, target=target,
        defaults={"office": opinion.office, "value": str(value)[:64], "suggested": suggested[:64],
                  "confidence": confidence, "by": actor},
    )  # fmt: skip
    active = _active(opinion.office, target)
    since = TriageLabel.objects.filter(office=opinion.office, target=target)
    if active is not None:
        since = since.filter(created_at__gt=active.created_at)
    if since.count() >= RETRAIN_EVERY and since.count() % RETRAIN_EVERY == 0:
        from .tasks import retrain_office_model

        office_id = opinion.office_id
        transaction.on_commit(lambda: retrain_office_model.enqueue(office_id, target))


def _examples(office, target):
    rows = TriageLabel.objects.filter(office=office, target=target).select_related("opinion")
    return [(r.opinion.content, r.value) for r in rows.order_by("opinion_id")]


def retrain(office, target, *, actor=None, seed=2026):
    """Train on the office's labels; keep the new model only if it scores at least as well as
    the current one (or the starter, for categories) on the same held-back part. Returns the
    new TriageModel (active or not) or None when there is too little data."""
    engine = _engine()
    data = _examples(office, target)
    labels = {v for _t, v in data}
    if len(data) < MIN_EXAMPLES or len(labels) < 2:
        return None
    rng = random.Random(seed)
    by_label = {}
    for text, value in data:
        by_label.setdefault(value, []).append((text, value))
    train, test = [], []
    for items in by_label.values():
        rng.shuffle(items)
        k = max(1, round(len(items) * HELD_BACK)) if len(items) > 1 else 0
        test.extend(items[:k])
        train.extend(items[k:])
    new = engine.TextClassifier().fit([t for t, _ in train], [v for _, v in train])
    texts, truth = [t for t, _ in test], [v for _, v in test]
    score_new = new.score(texts, truth)["macro_f1"]
    old, _row = model_for(office, target)
    score_old = old.score(texts, truth)["macro_f1"] if old is not None else None
    better = score_old is None or score_new >= score_old
    if better:
        new = engine.TextClassifier().fit([t for t, _ in data], [v for _, v in data])
    with transaction.atomic():
        row = TriageModel.objects.create(
            office=office, target=target, data=new.to_bytes(), labels=sorted(labels),
            examples=len(data), score_new=score_new, score_old=score_old, held_back=len(test),
            active=better,
        )  # fmt: skip
        if better:
            TriageModel.objects.filter(office=office, target=target, active=True).exclude(
                pk=row.pk
            ).update(active=False)
        record("triage.retrained", actor=actor, obj=row, org=office,
               changes={"对象": row.get_target_display(), "样本": len(data), "新模型": score_new,
                        "原模型": score_old, "启用": "是" if better else "否（成绩不如原模型）"})  # fmt: skip
    return row


def duplicates_of(opinion, limit=5, threshold=None):
    """Open opinions of the same office that say the same thing in other words."""
    engine = _engine()
    if threshold is None:
        from openday.triage.similarity import DUPLICATE_THRESHOLD as threshold
    candidates = list(
        Opinion.objects.filter(office=opinion.office, status__in=Opinion.OPEN_STATUSES)
        .exclude(pk=opinion.pk)
        .only("pk", "content", "tracking_code")
        .order_by("-received_at")[:500]
    )
    if not candidates:
        return []
    found = engine.similar(opinion.content, [c.content for c in candidates], top=limit)
    return [(candidates[i], round(s, 2)) for i, s in found if s >= threshold]


def topics_of(opinions, max_topics=8, limit=300):
    """Hot topics of a queryset of opinions (the newest `limit`, merged duplicates once):
    [(label, count, [representative opinions])]."""
    engine = _engine()
    items = list(
        opinions.exclude(status=Opinion.Status.MERGED)
        .only("pk", "content", "tracking_code", "summary")
        .order_by("-received_at")[:limit]
    )
    if len(items) < 3:
        return []
    topics = engine.hot_topics([o.content for o in items], max_topics=max_topics)
    return [(t.label, t.count, [items[i] for i in t.representatives]) for t in topics]
