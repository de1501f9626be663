"""Triage on the opinion page: suggestions shown, accepting or correcting becomes a label,
retraining keeps the old model when the new one scores worse, duplicates and hot topics."""

from openday import triage as engine
from openday.opinions import services as ops
from openday.opinions import triage
from openday.opinions.models import Opinion, TriageLabel, TriageModel

SCHOOL = "孩子就近入学难，小区附近的公办学校学位不够，希望教育部门增加学位。"
ROAD = "小区门口的道路坑洼不平，下雨天积水严重，希望尽快修路。"


def new(world, text, **kw):
    return ops.submit_opinion(content=text, source=Opinion.Source.FORUM, office=world.kaifu,
                              actor=world.users["unit_staff"], **kw)  # fmt: skip


def test_the_page_shows_suggestions_and_a_correction_becomes_a_label(world, client):
    o = new(world, SCHOOL)
    c = world.client_for(client, "kf_office")
    page = c.get(f"/staff/opinions/{o.pk}/").content.decode()
    assert "分拣建议" in page and "建议分类：教育文体" in page
    assert "把握" in page and "采用" in page
    # Accept with one click.
    r = c.post(f"/staff/opinions/{o.pk}/classify/", {
        "topic": "教育文体", "topic_area": "", "summary": "", "suggested_topic": "教育文体",
        "suggested_confidence": "0.8"})  # fmt: skip
    assert r.status_code == 302
    label = TriageLabel.objects.get(opinion=o, target="category")
    assert (label.value, label.suggested, label.accepted) == ("教育文体", "教育文体", True)
    # Correct it: the same row now holds the correction, still remembering the suggestion.
    c.post(f"/staff/opinions/{o.pk}/classify/", {
        "topic": "城乡建设", "topic_area": "", "summary": "", "suggested_topic": "教育文体"})  # fmt: skip
    label.refresh_from_db()
    assert (label.value, label.suggested, label.accepted) == ("城乡建设", "教育文体", False)
    o.refresh_from_db()
    assert o.topic == "城乡建设"


def test_assigning_records_the_unit_as_a_label(world):
    o = new(world, ROAD)
    ops.assign(world.users["kf_office"], o, unit=world.housing)
    triage.record_label(world.users["kf_office"], o, TriageModel.Target.UNIT, world.housing.pk,
                        suggested=str(world.housing.pk))  # fmt: skip
    assert TriageLabel.objects.get(opinion=o, target="unit").value == str(world.housing.pk)


def test_unit_suggestion_on_day_one_follows_the_category(world):
    o = new(world, ROAD)
    units = triage.suggest_unit(o)
    assert units and all(u.label for u in units)
    names = {u.label for u in units}
    assert any("住房和城乡建设" in n or "交通" in n or "城管" in n for n in names)


def _labelled(world, n=40):
    # The office sorts by its own two categories; labels outside its list are not learned from.
    triage.set_categories(world.users["kf_office"], world.kaifu, ["学位", "道路"])
    texts = {
        "学位": [f"{i}号小区附近学校学位不足，孩子上学难，请增加学位。" for i in range(n // 2)],
        "道路": [f"{i}号路段路面破损积水，出行不便，请尽快维修道路。" for i in range(n // 2)],
    }
    for label, items in texts.items():
        for text in items:
            o = new(world, text)
            triage.record_label(world.users["kf_office"], o, TriageModel.Target.CATEGORY, label)


def test_retraining_keeps_the_old_model_when_the_new_one_scores_worse(world, monkeypatch):
    _labelled(world)
    starter = engine.starter_model()
    real_score = engine.TextClassifier.score

    def rigged(self, texts, labels):
        result = real_score(self, texts, labels)
        result["macro_f1"] = 0.9 if self is starter else 0.5
        return result

    monkeypatch.setattr(engine.TextClassifier, "score", rigged)
    row = triage.retrain(world.kaifu, TriageModel.Target.CATEGORY)
    assert row is not None and not row.active
    assert (row.score_new, row.score_old) == (0.5, 0.9)
    assert triage.model_for(world.kaifu, "category")[1] is None  # still the starter

    def fair(self, texts, labels):
        result = real_score(self, texts, labels)
        result["macro_f1"] = 0.5 if self is starter else 0.95
        return result

    monkeypatch.setattr(engine.TextClassifier, "score", fair)
    row = triage.retrain(world.kaifu, TriageModel.Target.CATEGORY)
    assert row.active and row.held_back > 0 and row.examples == 40
    clf, active = triage.model_for(world.kaifu, "category")
    assert active == row
    assert clf.predict(["学校学位太少，孩子上学难"]) == ["学位"]
    # The office's own categories are suggested from now on.
    o = new(world, "道路积水严重，请维修")
    assert triage.suggest_category(o)[0].label == "道路"


def test_too_few_labels_train_nothing(world):
    o = new(world, SCHOOL)
    triage.record_label(world.users["kf_office"], o, TriageModel.Target.CATEGORY, "学位")
    assert triage.retrain(world.kaifu, TriageModel.Target.CATEGORY) is None


def test_duplicates_are_flagged_with_a_proposed_merge(world, client):
    a = new(world, "小区门口的路灯坏了，晚上黑漆漆的，老人出门很不方便。")
    b = new(world, "晚上小区大门那边的路灯不亮，太黑了，老年人走路不安全。")
    new(world, "希望增加公交线路，方便去医院看病。")
    found = triage.duplicates_of(b)
    assert [d.pk for d, _score in found] == [a.pk]
    page = world.client_for(client, "kf_office").get(f"/staff/opinions/{b.pk}/").content.decode()
    assert "可能重复的意见" in page and a.tracking_code in page and "合并到本条" in page


def test_hot_topics_group_an_events_opinions(world, client):
    for i in range(4):
        new(world, f"停车难，小区{i}期周边停车位太少，晚上找不到车位。")
        new(world, f"学校学位不够，{i}号小区的孩子上学要跑很远。")
    topics = triage.topics_of(Opinion.objects.all())
    assert len(topics) >= 2
    assert sorted(count for _label, count, _reps in topics)[-2:] == [4, 4]
    page = world.client_for(client, "kf_office").get("/staff/opinion-figures/").content.decode()
    assert "热点问题" in page


def test_the_event_page_shows_its_hot_topics(world, client):
    from datetime import timedelta

    from django.utils import timezone

    from openday.events import services as events

    start = timezone.now() + timedelta(days=3)
    event = events.create_event(
        world.users["unit_admin"], world.housing, title="热点测试活动", starts_at=start,
        ends_at=start + timedelta(hours=2), venues=[{"name": "会场"}], capacity=10, publish=True,
    )  # fmt: skip
    c = world.client_for(client, "unit_admin")
    assert "还没有意见建议" in c.get(f"/staff/events/{event.pk}/").content.decode()
    for i in range(3):
        new(world, f"停车难，小区{i}期周边停车位太少，晚上找不到车位。", event=event)
        new(world, f"学校学位不够，{i}号小区的孩子上学要跑很远。", event=event)
    page = c.get(f"/staff/events/{event.pk}/").content.decode()
    assert "意见建议和热点问题" in page and "本活动的意见（6）" in page
    assert "（3 条）" in page


def _data(n_old, n_new, when_trained):
    """(text, label, labelled at) rows: n_old per label before the model was trained, n_new after."""
    import datetime as dt

    before = when_trained - dt.timedelta(days=1)
    after = when_trained + dt.timedelta(hours=1)
    rows = []
    for label, words in (("学位", "学校学位不足"), ("道路", "路面破损积水")):
        rows += [(f"旧{i}号：{words}，请尽快解决。", label, before) for i in range(n_old)]
        rows += [(f"新{i}号：{words}，请尽快解决。", label, after) for i in range(n_new)]
    return rows


def test_an_office_model_is_scored_only_on_labels_it_did_not_learn_from():
    from django.utils import timezone

    trained = timezone.now()
    data = _data(40, 10, trained)
    kept_out, held = triage._held_back(data, trained, seed=1)
    assert held and all(data[i][2] > trained for i in held)
    for label in ("学位", "道路"):
        new = [i for i, row in enumerate(data) if row[1] == label and row[2] > trained]
        # at most half of the new labels are held back: the new model learns from the rest
        assert 0 < len(set(new) & held) <= len(new) // 2
    assert kept_out == held
    # Against the starter (which never saw the office's data) every label may be drawn.
    _kept, held = triage._held_back(data, None, seed=1)
    assert any(data[i][2] < trained for i in held)
    assert len(held) == 2 * round(50 * triage.HELD_BACK)


def test_with_nothing_new_the_held_back_part_comes_from_all_labels():
    from django.utils import timezone

    trained = timezone.now()
    data = _data(40, 0, trained)
    _kept, held = triage._held_back(data, trained, seed=1)
    assert len(held) == 2 * round(40 * triage.HELD_BACK)


def test_copies_of_a_held_back_opinion_stay_out_of_training():
    from django.utils import timezone

    trained = timezone.now()
    data = _data(20, 0, trained)
    copy = "同一条意见：小区门口学校学位不足，孩子上学难，请增加学位。"
    data += [(copy, "学位", trained)] * 6
    for seed in range(20):
        kept_out, held = triage._held_back(data, None, seed=seed)
        copies = {i for i, row in enumerate(data) if row[0] == copy}
        assert copies <= kept_out or not copies & kept_out
        assert held <= kept_out


def test_retraining_against_an_office_model_scores_on_new_labels(world, monkeypatch):
    _labelled(world)
    assert triage.retrain(world.kaifu, TriageModel.Target.CATEGORY).active  # the office's own
    scored = []
    real_score = engine.TextClassifier.score

    def spy(self, texts, labels):
        scored.append(list(texts))
        return real_score(self, texts, labels)

    monkeypatch.setattr(engine.TextClassifier, "score", spy)
    fresh = []
    for i in range(6):
        for label, text in (("学位", f"新学期{i}班学校学位不够"), ("道路", f"新修{i}路又坏了积水")):
            o = new(world, text)
            triage.record_label(world.users["kf_office"], o, TriageModel.Target.CATEGORY, label)
            fresh.append(text)
    row = triage.retrain(world.kaifu, TriageModel.Target.CATEGORY)
    assert len(scored) == 2 and scored[0] == scored[1]  # both models on the same texts
    assert scored[0] and set(scored[0]) <= set(fresh)
    assert row.held_back == len(scored[0]) <= len(fresh) // 2


def test_a_label_made_only_of_copies_is_never_held_back_whole():
    from django.utils import timezone

    trained = timezone.now()
    copy = "同一条意见：小区门口学校学位不足，孩子上学难，请增加学位。"
    data = [(copy, "学位", trained)] * 6 + [
        row for row in _data(20, 0, trained) if row[1] == "道路"
    ]
    for seed in range(20):
        _kept, held = triage._held_back(data, None, seed=seed)
        assert not any(data[i][1] == "学位" for i in held)  # the model still learns 学位
        assert any(data[i][1] == "道路" for i in held)
