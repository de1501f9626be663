"""An office's own category list for opinion triage and its models page: the list is checked,
suggestions stay inside it (or say why there are none), retraining learns only from it, the
page shows both scores of every retrain, the retrain button queues a task, and only an office's
admins change anything."""

import io
import itertools

import pytest
from django.core.exceptions import ValidationError
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from openday.audit.models import AuditEntry
from openday.opinions import services as ops
from openday.opinions import triage
from openday.opinions.models import Opinion, TriageLabel, TriageModel, TriageSettings
from openday.opinions.tasks import retrain_office_model

from .conftest import PERSONAS

CAT = TriageModel.Target.CATEGORY
SCHOOL = "孩子就近入学难，小区附近的公办学校学位不够，希望教育部门增加学位。"
AREAS = ["改革开放", "品质城市", "营商环境", "乡村振兴", "蓝天碧水", "民生实事"]
_codes = itertools.count(1)


def new(world, text, office=None):
    return ops.submit_opinion(content=text, source=Opinion.Source.FORUM,
                              office=office or world.kaifu, actor=world.users["kf_office"])  # fmt: skip


def quick(world, texts):
    """Many opinions at once, without the intake's side effects."""
    return Opinion.objects.bulk_create(
        Opinion(tracking_code=f"T{next(_codes):07d}", source="forum", content=t, office=world.kaifu)
        for t in texts
    )


def label_many(world, per_label=20, values=("学位", "道路"), target=CAT):
    """per_label labelled opinions for each value; the office's list becomes 学位 and 道路."""
    triage.set_categories(world.users["kf_office"], world.kaifu, ["学位", "道路"])
    texts = {
        "学位": "{}号小区附近学校学位不足，孩子上学难，请增加学位。",
        "道路": "{}号路段路面破损积水，出行不便，请尽快维修道路。",
        "旧分类": "{}号楼电梯老旧经常停运，请尽快更换电梯。",
    }
    for value in values:
        for o in quick(world, [texts[value].format(i) for i in range(per_label)]):
            triage.record_label(world.users["kf_office"], o, target, value)


def page(client, world, persona="kf_office", office=None):
    c = world.client_for(client, persona)
    return c.get(f"/staff/triage/?office={(office or world.kaifu).pk}")


# --- The list ---------------------------------------------------------------------------------


def test_a_list_is_trimmed_and_kept_in_order():
    assert triage.check_categories([" 学位 ", "", "道路", "  "]) == ["学位", "道路"]
    assert triage.split_lines("学位\r\n\n 道路 \n") == ["学位", "道路"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["学位"], "至少需要2个分类，现在有1个"),
        ([f"分类{i}" for i in range(31)], "最多30个分类，现在有31个"),
        (["学位", "城" * 21], "有21个字，每个分类不超过20个字"),
        (["学位", "道路", "学位"], "“学位”重复填写了"),
    ],
)
def test_a_bad_list_is_refused_with_the_reason(values, message):
    with pytest.raises(ValidationError) as exc:
        triage.check_categories(values)
    assert any(message in m for m in exc.value.message_dict["categories"])


def test_every_problem_of_a_list_is_named_at_once():
    with pytest.raises(ValidationError) as exc:
        triage.check_categories(["城" * 25, "城" * 25])
    problems = exc.value.message_dict["categories"]
    assert len(problems) == 3  # two too long, one repeated


def test_the_default_list_is_the_starter_models_categories(world):
    assert triage.categories_of(world.kaifu) == triage.default_categories()
    assert "城乡建设" in triage.default_categories() and "教育文体" in triage.default_categories()


def test_a_typed_list_is_saved_and_audited(world, client):
    c = world.client_for(client, "kf_office")
    r = c.post("/staff/triage/categories/", {"office": world.kaifu.pk, "preset": "custom",
                                             "categories": "学位\n道路\n 物业管理 \n"})  # fmt: skip
    assert r.status_code == 302
    assert triage.categories_of(world.kaifu) == ["学位", "道路", "物业管理"]
    saved = TriageSettings.objects.get(office=world.kaifu)
    assert saved.updated_by == world.users["kf_office"]
    entry = AuditEntry.objects.get(action="triage.settings_changed")
    assert entry.org == world.kaifu and entry.actor == world.users["kf_office"]
    assert entry.changes["新增"] == "学位、道路、物业管理"
    assert entry.changes["分类"][1] == "学位、道路、物业管理"
    # Saving the same list again changes nothing and logs nothing.
    c.post("/staff/triage/categories/", {"office": world.kaifu.pk, "preset": "custom",
                                         "categories": "学位\n道路\n物业管理"})  # fmt: skip
    assert AuditEntry.objects.filter(action="triage.settings_changed").count() == 1


def test_a_bad_list_keeps_what_was_typed(world, client):
    c = world.client_for(client, "kf_office")
    typed = "学位\n道路\n学位\n这是一个非常非常非常非常非常长的意见分类名称"
    r = c.post("/staff/triage/categories/", {"office": world.kaifu.pk, "preset": "custom",
                                             "categories": typed})  # fmt: skip
    assert r.status_code == 400
    text = r.content.decode()
    assert "“学位”重复填写了" in text and "每个分类不超过20个字" in text
    assert "这是一个非常非常非常非常非常长的意见分类名称" in text  # still in the textarea
    assert not TriageSettings.objects.exists()
    assert not AuditEntry.objects.filter(action="triage.settings_changed").exists()


def test_the_presets_fill_the_list(world, client):
    from openday.demo.services import load_demo_campaigns

    c = world.client_for(client, "kf_office")
    url, office = "/staff/triage/categories/", world.kaifu.pk
    r = c.post(url, {"office": office, "preset": "campaign", "categories": ""})
    assert r.status_code == 400 and "本办还没有年度活动" in r.content.decode()
    load_demo_campaigns()
    areas = triage.latest_campaign(world.kaifu).topic_areas
    assert areas
    assert (
        c.post(url, {"office": office, "preset": "campaign", "categories": ""}).status_code == 302
    )
    assert triage.categories_of(world.kaifu) == list(areas)
    assert (
        c.post(url, {"office": office, "preset": "default", "categories": "x"}).status_code == 302
    )
    assert triage.categories_of(world.kaifu) == triage.default_categories()


# --- Suggestions and the classify form ------------------------------------------------------------


def test_suggestions_only_name_categories_of_the_list(world):
    o = new(world, "小区门口的道路坑洼不平，下雨天积水严重，公交站台也没有遮雨棚，希望尽快修路。")
    everything = [s.value for s in triage.suggest_category(o, top=7)]
    assert len(everything) == 7
    dropped = everything[0]  # the starter's first choice ...
    kept = everything[1:4]
    triage.set_categories(world.users["kf_office"], world.kaifu, [*kept, "物业管理"])
    found, note = triage.category_suggestions(o)
    assert note == ""
    assert [s.value for s in found] == kept  # ... is not offered; the rest keep their order
    assert dropped not in [s.value for s in triage.suggest_category(o)]


def test_a_list_the_starter_does_not_know_gives_no_suggestion_and_says_why(world, client):
    triage.set_categories(world.users["kf_office"], world.kaifu, AREAS)
    o = new(world, SCHOOL)
    assert triage.category_suggestions(o) == ([], triage.STARTER_KNOWS_NONE)
    text = world.client_for(client, "kf_office").get(f"/staff/opinions/{o.pk}/").content.decode()
    assert "本办分类与初始模型不同，请先人工分类，累计足够样本后系统会训练本办的模型" in text
    assert "<strong>建议分类：" not in text
    assert "建议责任单位：开福区教育局" in text  # the unit is still suggested on day one
    assert "分拣模型" in text and f"/staff/triage/?office={world.kaifu.pk}" in text


def test_the_classify_form_offers_the_list_and_keeps_an_old_value(world, client):
    o = new(world, SCHOOL)
    ops.classify(world.users["kf_office"], o, topic="电梯")
    triage.set_categories(world.users["kf_office"], world.kaifu, ["学位", "道路"])
    c = world.client_for(client, "kf_office")
    text = c.get(f"/staff/opinions/{o.pk}/").content.decode()
    assert '<option value="学位">学位</option>' in text
    assert "电梯（不在本办分类中）" in text
    url = f"/staff/opinions/{o.pk}/classify/"
    r = c.post(url, {"topic": "其他", "topic_area": "民生实事", "summary": "学位不够"})
    assert r.status_code == 400
    text = r.content.decode()
    assert "“其他”不在本办的分类中" in text and "学位不够" in text and "民生实事" in text
    o.refresh_from_db()
    assert o.topic == "电梯" and o.summary == ""
    # The old value stays selectable, so saving other fields loses nothing.
    assert (
        c.post(url, {"topic": "电梯", "topic_area": "", "summary": "学位不够"}).status_code == 302
    )
    o.refresh_from_db()
    assert (o.topic, o.summary) == ("电梯", "学位不够")
    assert c.post(url, {"topic": "学位", "topic_area": "", "summary": ""}).status_code == 302
    o.refresh_from_db()
    assert o.topic == "学位"
    assert TriageLabel.objects.get(opinion=o, target=CAT).value == "学位"


# --- Retraining ---------------------------------------------------------------------------------


def test_retraining_ignores_labels_outside_the_list(world):
    label_many(world, values=("学位", "道路", "旧分类"))
    triage.set_categories(world.users["kf_office"], world.kaifu, ["学位", "道路", "物业管理"])
    state = triage.retrain_state(world.kaifu, CAT)
    assert (state["labels"], state["outside"], state["kinds"]) == (40, 20, 2)
    row = triage.retrain(world.kaifu, CAT)
    assert row is not None and row.examples == 40 and row.labels == ["学位", "道路"]
    assert set(triage.model_for(world.kaifu, CAT)[0].labels) <= {"学位", "道路"}


def test_the_page_shows_both_scores_of_a_retrain(world, client):
    label_many(world)
    triage.set_categories(world.users["kf_office"], world.kaifu, ["学位", "道路"])
    row = triage.retrain(world.kaifu, CAT)
    assert row.active and row.score_old is not None  # the starter scored on the same part
    kept = TriageModel.objects.create(office=world.kaifu, target=CAT, data=b"", examples=60,
                                      held_back=12, score_new=0.41234, score_old=0.95678,
                                      labels=["学位", "道路"])  # fmt: skip
    TriageModel.objects.filter(pk=kept.pk).update(created_at=row.created_at)
    text = page(client, world).content.decode()
    assert f"{row.score_new:.3f}" in text and f"{row.score_old:.3f}" in text
    assert "0.412" in text and "0.957" in text and "保留原模型" in text
    assert "启用中" in text and "本办模型" in text


def _retrain(client, world, persona="kf_office", target="category"):
    return world.client_for(client, persona).post(
        "/staff/triage/retrain/", {"office": world.kaifu.pk, "target": target}, follow=True
    )


def _queued():
    return [
        t.args_kwargs["args"]
        for t in DBTaskResult.objects.filter(task_path=retrain_office_model.module_path)
    ]


def test_the_retrain_button_queues_one_task(world, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = _retrain(client, world)
    assert "样本不足" in r.content.decode() and _queued() == []
    label_many(world)
    with django_capture_on_commit_callbacks(execute=True):
        r = _retrain(client, world)
    text = r.content.decode()
    assert "已提交分类模型的重新训练" in text and "openday worker" in text
    assert _queued() == [[world.kaifu.pk, "category"]]
    assert AuditEntry.objects.filter(action="triage.retrain_requested", org=world.kaifu).exists()
    assert "已在排队" in page(client, world).content.decode()
    # A second click while it waits queues nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        r = _retrain(client, world)
    assert "已在排队，无需重复提交" in r.content.decode() and len(_queued()) == 1
    # The worker runs it: a model row appears with both scores.
    result = retrain_office_model.call(world.kaifu.pk, "category")
    assert result["model"] and result["score_old"] is not None


# --- Who may do what ----------------------------------------------------------------------------


def test_a_viewer_reads_but_has_no_buttons(world, client):
    label_many(world)
    admin = page(client, world).content.decode()
    assert "保存分类" in admin and "立即重新训练" in admin
    viewer = page(client, world, "kf_viewer")
    assert viewer.status_code == 200
    text = viewer.content.decode()
    assert "本页只读" in text and "保存分类" not in text and "立即重新训练" not in text
    assert "学位" in text  # the labels list


def _status(persona, allowed):
    if persona == "anonymous":
        return 302
    return 302 if persona in allowed else 403


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_changing_the_list_as(world, client, persona):
    r = world.client_for(client, persona).post(
        "/staff/triage/categories/",
        {"office": world.kaifu.pk, "preset": "custom", "categories": "学位\n道路"},
    )
    allowed = {"operator", "kf_office"}
    assert r.status_code == _status(persona, allowed)
    assert TriageSettings.objects.filter(office=world.kaifu).exists() is (persona in allowed)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_starting_a_retrain_as(world, client, persona, django_capture_on_commit_callbacks):
    label_many(world)
    with django_capture_on_commit_callbacks(execute=True):
        r = world.client_for(client, persona).post(
            "/staff/triage/retrain/", {"office": world.kaifu.pk, "target": "category"}
        )
    allowed = {"operator", "kf_office"}
    assert r.status_code == _status(persona, allowed)
    assert bool(_queued()) is (persona in allowed)


def test_another_office_cannot_touch_kaifu(world, client):
    c = world.client_for(client, "nm_office")
    assert c.get(f"/staff/triage/?office={world.kaifu.pk}").status_code == 403
    assert c.get(f"/staff/triage/?office={world.naiman.pk}").status_code == 200
    assert c.get("/staff/triage/?office=999999").status_code == 404


# --- The labels and their export ----------------------------------------------------------------


def test_the_labels_are_listed_newest_first_and_exported(world, client):
    o = new(world, SCHOOL)
    kf = world.users["kf_office"]
    triage.record_label(kf, o, CAT, "教育文体", suggested="教育文体", confidence=0.83)
    triage.record_label(kf, o, TriageModel.Target.UNIT, world.housing.pk, suggested="")
    text = page(client, world).content.decode()
    assert o.tracking_code in text and "83%" in text and world.housing.name in text
    assert text.index(world.housing.name) < text.index("83%")  # the unit label came last
    r = world.client_for(client, "kf_viewer").get(
        f"/staff/triage/labels.xlsx?office={world.kaifu.pk}"
    )
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("查询码", "对象", "确定的值")
    assert rows[1][:3] == (o.tracking_code, "责任单位", world.housing.name)
    assert rows[2][:6] == (o.tracking_code, "分类", "教育文体", "教育文体", 0.83, "是")


def test_the_labels_list_is_paginated_in_a_few_queries(
    world, client, django_assert_max_num_queries
):
    label_many(world, per_label=20)
    c = world.client_for(client, "kf_office")
    url = f"/staff/triage/?office={world.kaifu.pk}"
    c.get(url)  # warm the starter model's cache
    with django_assert_max_num_queries(30):
        r = c.get(url + "&page=2")
    assert r.status_code == 200 and "第 2 / 2 页" in r.content.decode()
