"""Triage for staff: suggested category and responsible unit, near-duplicates, hot topics, and
each office's own models learning from what its staff decide.

The text engine is openday.triage (offline; a starter model trained on public messages ships
with the code). This module holds the office-specific parts: the office's category list,
labels, models, retraining, and who may see and change them.
"""

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from openday.audit.services import record
from openday.orgs.models import Org, Role

from .models import Opinion, TriageLabel, TriageModel, TriageSettings

if TYPE_CHECKING:
    from openday.accounts.models import User
    from openday.campaigns.models import Campaign
    from openday.orgs.access import Access
    from openday.triage import TextClassifier

RETRAIN_EVERY = 20  # new labels since the last training before retraining is queued
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


# The office's category list (the choices of the opinion's 分类 field).
MIN_CATEGORIES = 2
MAX_CATEGORIES = 30
CATEGORY_LENGTH = 20
PRESETS = {
    "default": "群众留言分类（默认）",
    "campaign": "本年度活动的主题领域",
    "custom": "自定义",
}
STARTER_KNOWS_NONE = "本办分类与初始模型不同，请先人工分类，累计足够样本后系统会训练本办的模型"
MODEL_KNOWS_NONE = "本办分类已修改，当前启用的模型不认识其中任何分类，请先人工分类，累计足够样本后系统会重新训练本办的模型"
TOO_FEW = f"样本不足：至少需要{MIN_EXAMPLES}条、两个以上类别的已分类意见才能训练本办的模型。"
# Who may open the triage page of an office: its admins (who change it) and its viewers.
SEE_ROLES = {Role.OFFICE_ADMIN, Role.VIEWER}


@dataclass
class Suggested:
    value: str  # a category label, or a unit's id as text
    label: str  # what staff read
    confidence: float
    terms: list[str]


def _engine() -> ModuleType:
    from openday import triage

    return triage


def _active(office: Org, target: str) -> TriageModel | None:
    return (
        TriageModel.objects.filter(office=office, target=target, active=True)
        .order_by("-created_at")
        .first()
    )


def _last_trained(office: Org, target: str) -> TriageModel | None:
    rows = TriageModel.objects.filter(office=office, target=target).only("pk", "created_at")
    return rows.order_by("-created_at", "-id").first()


_cache: "dict[int, TextClassifier]" = {}


def model_for(
    office: Org | None, target: str
) -> "tuple[TextClassifier | None, TriageModel | None]":
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


def category_suggestions(opinion: Opinion, top: int = 3) -> tuple[list[Suggested], str]:
    """(suggestions naming only categories of the office's list, why there are none or "")."""
    categories = categories_of(opinion.office)
    clf, row = model_for(opinion.office, TriageModel.Target.CATEGORY)
    assert clf is not None  # for categories, the starter model stands in for the office's
    known = set(clf.labels) & set(categories)
    if not known:
        return [], STARTER_KNOWS_NONE if row is None else MODEL_KNOWS_NONE
    # Ask for every label when some must be dropped, so that `top` remain after filtering.
    wanted = top if len(known) == len(clf.labels) else len(clf.labels)
    found = [
        Suggested(s.label, s.label, s.confidence, s.terms)
        for s in clf.suggest(opinion.content, top=wanted)
        if s.label in known
    ]
    return found[:top], ""


def suggest_category(opinion: Opinion, top: int = 3) -> list[Suggested]:
    return category_suggestions(opinion, top=top)[0]


def units_under(office: Org) -> list[Org]:
    return list(
        Org.objects.filter(
            path__startswith=office.path, kind=Org.Kind.UNIT, is_active=True
        ).order_by("path")
    )


def suggest_unit(opinion: Opinion, top: int = 3) -> list[Suggested]:
    """The office's own unit model when it has one; else the category's usual department."""
    units = {str(u.pk): u for u in units_under(opinion.office)}
    clf, _row = model_for(opinion.office, TriageModel.Target.UNIT)
    if clf is not None:
        out = []
        for s in clf.suggest(opinion.content, top=top):
            if s.label in units:
                out.append(Suggested(s.label, units[s.label].name, s.confidence, s.terms))
        return out
    # The starter's own categories (whatever the office's list) name the usual department.
    out = []
    for cat in _engine().starter_model().suggest(opinion.content, top=2):
        for word in UNIT_WORDS.get(cat.label, []):
            unit = next((u for u in units.values() if word in u.name), None)
            if unit is not None and all(o.value != str(unit.pk) for o in out):
                out.append(Suggested(str(unit.pk), unit.name, cat.confidence, cat.terms))
                break
    return out


def record_label(
    actor: "User | None",
    opinion: Opinion,
    target: str,
    value: object,
    *,
    suggested: str = "",
    confidence: float | None = None,
) -> None:
    """Staff decided value for opinion (accepting the suggestion or correcting it)."""
    TriageLabel.objects.update_or_create(
        opinion=opinion,
        target=target,
        defaults={
            "office": opinion.office,
            "value": str(value)[:64],
            "suggested": suggested[:64],
            "confidence": confidence,
            "by": actor,
        },
    )
    # Counted from the last training (kept or not), as the models page counts them.
    last = _last_trained(opinion.office, target)
    since = labels_for(opinion.office, target)
    if last is not None:
        since = since.filter(created_at__gt=last.created_at)
    count = since.count()
    if count >= RETRAIN_EVERY and count % RETRAIN_EVERY == 0:
        from .tasks import retrain_office_model

        office_id = opinion.office_id
        transaction.on_commit(lambda: retrain_office_model.enqueue(office_id, target))


def labels_for(office: Org, target: str) -> QuerySet[TriageLabel]:
    """The office's labels that may train a model: for categories, only those in its list."""
    rows = TriageLabel.objects.filter(office=office, target=target)
    if target == TriageModel.Target.CATEGORY:
        rows = rows.filter(value__in=categories_of(office))
    return rows


def _examples(office: Org, target: str) -> list[tuple[str, str, datetime]]:
    """(text, label, when the label was last set) of the office's training labels."""
    rows = labels_for(office, target).select_related("opinion")
    return [(r.opinion.content, r.value, r.created_at) for r in rows.order_by("opinion_id")]


def _held_back(
    data: Sequence[tuple[str, str, datetime]], trained_at: datetime | None, seed: int
) -> tuple[set[int], set[int]]:
    """(positions kept out of the new model's training, positions both models are scored on).

    About HELD_BACK of each label, drawn at random with duplicate opinions (the same opening
    words) kept on one side, so a copy in the training part cannot lift the new model's score.
    When the current model is the office's own (`trained_at`), it learned from every label set
    before it was trained; scoring it on those would favour it, so the held-back part comes only
    from labels set or changed since, and from at most half of them, so that the new model also
    learns from what is new. When too few labels are new for that, it comes from all of them."""
    groups = _engine().duplicate_groups([text for text, _v, _at in data])
    total: dict[str, int] = {}
    for _text, value, _at in data:
        total[value] = total.get(value, 0) + 1

    def draw(pool: Iterable[int], at_most_half: bool) -> list[int]:
        by_label: dict[str, dict[int, list[int]]] = {}
        for i in pool:
            by_label.setdefault(data[i][1], {}).setdefault(groups[i], []).append(i)
        rng = random.Random(seed)
        held = []
        for value in sorted(by_label):
            clusters = list(by_label[value].values())
            size = sum(len(c) for c in clusters)
            if size < 2:
                continue
            want = max(1, round(total[value] * HELD_BACK))
            if at_most_half:
                want = min(want, size // 2)
            rng.shuffle(clusters)
            taken = 0
            for cluster in clusters:
                # past `want` only for a first cluster, and never a label's every example
                too_big = taken or at_most_half or len(cluster) == size
                if taken + len(cluster) > want and too_big:
                    continue
                held.extend(cluster)
                taken += len(cluster)
                if taken >= want:
                    break
        return held

    held = []
    if trained_at is not None:
        held = draw([i for i, (_t, _v, at) in enumerate(data) if at > trained_at], True)
    if not held:
        held = draw(range(len(data)), False)
    # copies of a held-back opinion that carry an older label stay out of the training part too
    copies = {groups[i] for i in held}
    return {i for i in range(len(data)) if groups[i] in copies}, set(held)


def retrain(
    office: Org, target: str, *, actor: "User | None" = None, seed: int = 2026
) -> TriageModel | None:
    """Train on the office's labels (for categories, only those in its list); keep the new
    model only if it scores at least as well as the current one (or the starter, for
    categories) on the same held-back part. Returns the new TriageModel (active or not) or
    None when there is too little data."""
    engine = _engine()
    data = _examples(office, target)
    labels = {v for _t, v, _at in data}
    if len(data) < MIN_EXAMPLES or len(labels) < 2:
        return None
    old, old_row = model_for(office, target)
    kept_out, held = _held_back(data, old_row.created_at if old_row is not None else None, seed)
    train = [(t, v) for i, (t, v, _at) in enumerate(data) if i not in kept_out]
    test = [(t, v) for i, (t, v, _at) in enumerate(data) if i in held]
    new = engine.TextClassifier().fit([t for t, _ in train], [v for _, v in train])
    texts, truth = [t for t, _ in test], [v for _, v in test]
    score_new = new.score(texts, truth)["macro_f1"]
    score_old = old.score(texts, truth)["macro_f1"] if old is not None else None
    better = score_old is None or score_new >= score_old
    if better:
        new = engine.TextClassifier().fit([t for t, _v, _at in data], [v for _t, v, _at in data])
    with transaction.atomic():
        row = TriageModel.objects.create(
            office=office,
            target=target,
            data=new.to_bytes(),
            labels=sorted(labels),
            examples=len(data),
            score_new=score_new,
            score_old=score_old,
            held_back=len(test),
            active=better,
        )
        if better:
            TriageModel.objects.filter(office=office, target=target, active=True).exclude(
                pk=row.pk
            ).update(active=False)
        record(
            "triage.retrained",
            actor=actor,
            obj=row,
            org=office,
            changes={
                "对象": row.get_target_display(),
                "样本": len(data),
                "新模型": score_new,
                "原模型": score_old,
                "启用": "是" if better else "否（成绩不如原模型）",
            },
        )
    return row


def duplicates_of(
    opinion: Opinion, limit: int = 5, threshold: float | None = None
) -> list[tuple[Opinion, float]]:
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


def topics_of(
    opinions: QuerySet[Opinion], max_topics: int = 8, limit: int = 300
) -> list[tuple[str, int, list[Opinion]]]:
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


# --- The office's category list -----------------------------------------------------------------


def default_categories() -> list[str]:
    """The starter model's categories (first level of the public-message category tree)."""
    return list(_engine().starter_model().labels)


def categories_of(office: Org | None) -> list[str]:
    row = TriageSettings.objects.filter(office=office).only("categories").first()
    return list(row.categories) if row is not None and row.categories else default_categories()


def latest_campaign(office: Org) -> "Campaign | None":
    from openday.campaigns.models import Campaign

    return Campaign.objects.filter(office=office).order_by("-year", "-created_at", "-id").first()


def preset_categories(office: Org, preset: str) -> list[str]:
    """The list a preset stands for ([] when the office has no campaign yet)."""
    if preset == "default":
        return default_categories()
    if preset == "campaign":
        campaign = latest_campaign(office)
        return list(campaign.topic_areas) if campaign is not None else []
    raise ValueError(preset)


def split_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def categories_from(office: Org, preset: str, text: str | None) -> list[str]:
    """The list a submitted form stands for: a preset's, or the typed lines."""
    if preset == "custom":
        return split_lines(text)
    values = preset_categories(office, preset)
    if not values:
        raise ValidationError(
            {
                "preset": "本办还没有年度活动，无法使用“本年度活动的主题领域”；"
                "请选择其他来源，或在下面逐行填写分类。"
            }
        )
    return values


def check_categories(values: Iterable[Any]) -> list[str]:
    """The list as it will be kept, or ValidationError listing every problem."""
    values = [str(v).strip() for v in values if str(v).strip()]
    problems = []
    if len(values) < MIN_CATEGORIES:
        problems.append(f"至少需要{MIN_CATEGORIES}个分类，现在有{len(values)}个。")
    if len(values) > MAX_CATEGORIES:
        problems.append(f"最多{MAX_CATEGORIES}个分类，现在有{len(values)}个。")
    for v in values:
        if len(v) > CATEGORY_LENGTH:
            problems.append(f"“{v}”有{len(v)}个字，每个分类不超过{CATEGORY_LENGTH}个字。")
    seen, repeated = set(), []
    for v in values:
        if v in seen and v not in repeated:
            repeated.append(v)
        seen.add(v)
    for v in repeated:
        problems.append(f"“{v}”重复填写了，每个分类只写一次。")
    if problems:
        raise ValidationError({"categories": problems})
    return values


def set_categories(
    actor: "User | None", office: Org, categories: Iterable[object]
) -> TriageSettings | None:
    """Replace the office's category list (checked); audit-logged when it changed."""
    categories = check_categories(categories)
    with transaction.atomic():
        row = TriageSettings.objects.select_for_update().filter(office=office).first()
        before = list(row.categories) if row is not None else default_categories()
        if before == categories:
            return row
        if row is None:
            row = TriageSettings(office=office)
        row.categories = categories
        row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        row.save()
        changes: dict[str, object] = {"分类": ["、".join(before), "、".join(categories)]}
        added = [c for c in categories if c not in before]
        removed = [c for c in before if c not in categories]
        if added:
            changes["新增"] = "、".join(added)
        if removed:
            changes["删除"] = "、".join(removed)
        record(
            "triage.settings_changed",
            actor=actor,
            obj=row,
            org=office,
            changes=changes,
        )
    return row


# --- What the office's models page shows --------------------------------------------------------


def retrain_state(office: Org, target: str) -> dict[str, Any]:
    """Counts behind the models page: labels usable for training, those since the active model
    and since the last training, and whether enough new ones have come for a retrain."""
    labels = labels_for(office, target)
    total = labels.count()
    kinds = labels.values("value").distinct().count()
    active = _active(office, target)
    last = _last_trained(office, target)
    since_active = labels.filter(created_at__gt=active.created_at).count() if active else total
    since_last = labels.filter(created_at__gt=last.created_at).count() if last else total
    outside = 0
    if target == TriageModel.Target.CATEGORY:
        outside = TriageLabel.objects.filter(office=office, target=target).count() - total
    enough = total >= MIN_EXAMPLES and kinds >= 2
    return {
        "target": target,
        "label": TriageModel.Target(target).label,
        "labels": total,
        "kinds": kinds,
        "outside": outside,
        "since_active": since_active,
        "since_last": since_last,
        "active": active,
        "enough": enough,
        "due": enough and since_last >= RETRAIN_EVERY,
        "to_go": max(0, RETRAIN_EVERY - since_last),
    }


def retrain_queued(office_id: int, target: str) -> bool:
    """True when a retrain of this office and target waits in the database task queue."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another task backend: nothing to look at
        return False
    from .tasks import retrain_office_model

    try:
        waiting = DBTaskResult.objects.filter(
            status="READY", task_path=retrain_office_model.module_path
        ).values_list("args_kwargs", flat=True)[:50]
        return any((a or {}).get("args") == [office_id, target] for a in waiting)
    except Exception:  # the table may not exist when the backend is not the database one
        logging.getLogger(__name__).debug("task queue not readable", exc_info=True)
        return False


def request_retrain(actor: "User | None", office: Org, target: str) -> bool:
    """Queue a retrain of an office's model now (on commit). Returns False when one is already
    waiting; ValidationError when there are too few labels to train on."""
    target = TriageModel.Target(target)
    state = retrain_state(office, target)
    if not state["enough"]:
        raise ValidationError(TOO_FEW)
    if retrain_queued(office.pk, target.value):
        return False
    from .tasks import retrain_office_model

    office_id = office.pk
    with transaction.atomic():
        record(
            "triage.retrain_requested",
            actor=actor,
            obj=office,
            org=office,
            changes={"对象": target.label, "样本": state["labels"]},
        )
        transaction.on_commit(lambda: retrain_office_model.enqueue(office_id, target.value))
    return True


# --- Who may see and change an office's triage --------------------------------------------------


def offices_for(access: "Access") -> list[Org]:
    """Offices whose triage page the user may open: their admins and viewers (and operators)."""
    offices = Org.objects.filter(kind=Org.Kind.OFFICE, is_active=True).order_by("path")
    return list(offices.filter(access.scope_q(SEE_ROLES)))


def can_manage(access: "Access", office: Org) -> bool:
    """Change the category list and start a retrain: the office's admins."""
    return access.is_office_admin_over(office)


def can_see_page(access: "Access", office: Org) -> bool:
    return access.is_operator or any(
        m.role in SEE_ROLES and office.path.startswith(m.org.path) for m in access.memberships
    )
