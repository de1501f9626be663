"""意见分拣: classifier, storage, duplicates, hot topics, the shipped model and the commands."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from openday.triage import (
    Suggestion,
    TextClassifier,
    cross_validate,
    hot_topics,
    message_text,
    near_duplicates,
    similar,
    split_message,
    starter_model,
)
from openday.triage.classifier import category_tree, taxonomy_examples
from openday.triage.management.commands import triage_build_starter, triage_eval

REPO = Path(__file__).resolve().parent.parent

# A tiny made-up training set: three areas, eight messages each.
TINY = {
    "教育文体": [
        ("学校乱收补课费", "孩子所在的中学暑假强制补课，每人收费两千元"),
        ("幼儿园收费太高", "小区配套幼儿园每学期收费上万元，家长负担很重"),
        ("学校食堂饭菜差", "学校食堂饭菜难吃又贵，学生经常吃不饱"),
        ("教师工资拖欠", "乡村小学教师的绩效工资已经拖欠半年"),
        ("入学难", "孩子上小学报名被拒，说户口不在学区"),
        ("校车安全", "学校校车超载严重，孩子上学很危险"),
        ("图书馆开放时间", "市图书馆周末不开放，学生没地方看书"),
        ("中考加分", "中考体育加分政策不公平，希望教育局解释"),
    ],
    "卫生计生": [
        ("医院排队太久", "市人民医院挂号排队要三个小时，看病太难"),
        ("药价太贵", "医院的药品价格比药店贵很多，医保报销少"),
        ("疫苗接种", "社区卫生服务中心疫苗接种预约不上"),
        ("医生态度差", "急诊科医生态度恶劣，病人等了很久没人管"),
        ("二孩生育证", "办理二孩生育证需要的证明太多，计生办来回跑"),
        ("乡镇卫生院", "乡镇卫生院没有医生值班，村民看病要去县城"),
        ("体检收费", "医院体检项目乱收费，检查单上多了好几项"),
        ("诊所无证行医", "小区旁边的诊所无证行医，给病人乱打针"),
    ],
    "交通运输": [
        ("公交车太少", "这条公交线路每小时只有一班车，上班等车太久"),
        ("出租车拒载", "火车站出租车司机拒载还不打表"),
        ("道路坑洼", "国道路面坑洼不平，货车经常颠坏"),
        ("公交司机", "公交车司机开车太猛，乘客差点摔倒"),
        ("驾照考试", "驾校考试预约不上，学车拖了一年"),
        ("高速收费", "高速公路收费站排长队，ETC车道也堵"),
        ("客运班车", "县城到乡镇的客运班车停运，出行不便"),
        ("网约车", "网约车平台乱加价，司机绕路多收车费"),
    ],
}
TINY_TEXTS = [message_text(t, b) for rows in TINY.values() for t, b in rows]
TINY_LABELS = [label for label, rows in TINY.items() for _ in rows]

# The same complaint in other words, and a set of unrelated ones.
REPHRASED = [
    ("小区门口路灯坏了晚上很黑", "晚上小区大门那边的路灯不亮，太黑了"),
    (
        "学校门口每天放学都堵车，孩子过马路很危险",
        "放学时间校门口车辆拥堵，学生横穿马路存在安全隐患",
    ),
    ("楼下烧烤店油烟太大，熏得家里没法开窗", "楼下的烧烤摊排放油烟，我们家窗户都不敢打开"),
    ("社保卡丢了怎么补办，要带什么材料", "请问社保卡遗失后补办需要准备哪些材料"),
    ("医院挂号排队时间太长，能不能增加网上预约", "在医院挂号要排很久的队，建议开通网上预约挂号"),
    ("公交车司机开车太猛，乘客差点摔倒", "公交司机急刹车急转弯，车上乘客险些摔倒"),
]


@pytest.fixture(scope="module")
def tiny_model():
    return TextClassifier().fit(TINY_TEXTS, TINY_LABELS)


def test_message_text_joins_title_and_body_and_works_with_body_only():
    assert message_text("路灯坏了", "小区门口的路灯不亮") == "路灯坏了\n小区门口的路灯不亮"
    assert message_text("", "  只有内容  ") == "只有内容"
    assert message_text(None, "内容") == "内容"
    assert message_text("标题 \n 两行", "") == "标题 两行"
    assert message_text("", "第一段\n第二段") == "第一段 第二段"
    assert split_message(message_text("", "第一段\n第二段")) == ("", "第一段 第二段")
    assert split_message("路灯坏了\n小区门口\n第二段") == ("路灯坏了", "小区门口\n第二段")
    assert split_message("只有内容") == ("", "只有内容")


def test_fit_predict_and_suggest(tiny_model):
    assert tiny_model.labels == sorted(TINY)
    assert tiny_model.predict(TINY_TEXTS) == TINY_LABELS
    assert tiny_model.predict([]) == []
    text = message_text("", "孩子学校的补课费太贵了，教育局管不管")
    suggestions = tiny_model.suggest(text)
    assert len(suggestions) == 3
    assert all(isinstance(s, Suggestion) for s in suggestions)
    assert suggestions[0].label == "教育文体"
    confidences = [s.confidence for s in suggestions]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 <= c <= 1 for c in confidences)
    assert sum(confidences) <= 1 + 1e-6
    assert suggestions[0].terms
    for s in suggestions:
        assert len(s.terms) <= 5
        for term in s.terms:
            assert term in text and len(term) >= 2
    assert tiny_model.suggest(text, top=1)[0].label == "教育文体"
    # everything sums to one over all labels; empty text still answers
    assert sum(s.confidence for s in tiny_model.suggest(text, top=10)) == pytest.approx(1, abs=1e-5)
    assert len(tiny_model.suggest("", top=2)) == 2


def test_score_reports_macro_f1_accuracy_and_f1_per_label(tiny_model):
    result = tiny_model.score(TINY_TEXTS, TINY_LABELS)
    assert result["macro_f1"] == 1.0
    assert result["accuracy"] == 1.0
    assert set(result["f1"]) == set(TINY)


def test_bytes_round_trip_and_format_check(tiny_model):
    blob = tiny_model.to_bytes()
    again = TextClassifier.from_bytes(blob)
    assert again.labels == tiny_model.labels
    texts = [*TINY_TEXTS, "高速公路收费站排队", "医院挂号难"]
    assert again.predict(texts) == tiny_model.predict(texts)
    assert again.predict_proba(texts) == pytest.approx(tiny_model.predict_proba(texts))
    with pytest.raises(ValueError):
        TextClassifier.from_bytes(b"not a model")
    archive = dict(np.load(io.BytesIO(blob)))
    meta = json.loads(archive["meta"].tobytes())
    archive["meta"] = np.frombuffer(json.dumps({**meta, "format": "x/9"}).encode(), np.uint8)
    newer = io.BytesIO()
    np.savez_compressed(newer, **archive)
    with pytest.raises(ValueError, match="format"):
        TextClassifier.from_bytes(newer.getvalue())
    with pytest.raises(RuntimeError):
        TextClassifier().predict(["x"])


def test_cross_validate_groups_duplicates():
    texts = [*TINY_TEXTS, TINY_TEXTS[0], TINY_TEXTS[8]]
    labels = [*TINY_LABELS, TINY_LABELS[0], TINY_LABELS[8]]
    result = cross_validate(texts, labels, folds=3, seed=0)
    assert result["duplicate_rows"] == 2
    assert len(result["fold_macro_f1"]) == 3
    assert 0 <= result["macro_f1"] <= 1 and 0 <= result["accuracy"] <= 1
    assert set(result["f1"]) == set(TINY)


def test_near_duplicates_finds_rephrased_complaints_only():
    texts = [text for pair in REPHRASED for text in pair]
    found = {(i, j) for i, j, _ in near_duplicates(texts)}
    assert found == {(2 * k, 2 * k + 1) for k in range(len(REPHRASED))}
    scores = [s for _, _, s in near_duplicates(texts)]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert near_duplicates(["只有一条"]) == []
    # exact copies are the most similar
    assert near_duplicates([texts[0], texts[2], texts[0]])[0][:2] == (0, 2)


def test_near_duplicates_handles_thousands_of_texts():
    texts = [f"{a}{b}第{n}号" for n in range(100) for a, b in REPHRASED[:4] for _ in range(5)]
    pairs = near_duplicates(texts, threshold=0.99)
    assert pairs and all(s >= 0.99 for _, _, s in pairs)


def test_similar_ranks_the_rephrased_complaint_first():
    candidates = [pair[1] for pair in REPHRASED]
    for k, (text, _) in enumerate(REPHRASED):
        ranked = similar(text, candidates, top=3)
        assert ranked[0][0] == k
        assert len(ranked) <= 3
    assert similar("路灯", [], top=3) == []


def test_hot_topics_groups_two_topics_and_drops_singletons():
    texts = [
        "小区门口路灯坏了晚上很黑",
        "晚上小区大门那边的路灯不亮，太黑了",
        "我们小区路灯坏了好几个月没人修",
        "路灯不亮，晚上出行不安全，请尽快维修路灯",
        "学校食堂饭菜太贵还难吃",
        "孩子说学校食堂的饭菜不卫生",
        "学校食堂价格高，饭菜质量差，希望整顿食堂",
        "景区门票太贵了",
    ]
    topics = hot_topics(texts)
    assert [t.members for t in topics] == [[0, 1, 2, 3], [4, 5, 6]]
    assert [t.count for t in topics] == [4, 3]
    assert "路灯" in topics[0].label and "食堂" in topics[1].label
    for topic in topics:
        assert 2 <= len(topic.label.split("、")) <= 3
        assert set(topic.representatives) <= set(topic.members)
        assert 1 <= len(topic.representatives) <= 3
    assert hot_topics(texts) == topics  # deterministic
    assert hot_topics(texts, max_topics=1) == topics[:1]
    assert hot_topics(texts[:1]) == []
    assert hot_topics(["", "，。"]) == []


# Messages of two areas that never name 传销, 物业 or 公共汽车.
TRADE_AND_BUILDING = {
    "商贸旅游": [
        ("超市卖过期食品", "小区旁边的超市把过期的牛奶重新贴标签出售"),
        ("景区门票太贵", "景区门票涨到两百元，游客都不愿意来了"),
        ("商场缺斤少两", "农贸市场的摊贩秤不准，一斤肉少了二两"),
        ("旅行社强制购物", "报了旅行团，导游天天带我们进购物店"),
        ("网店假货", "在网上买的名牌鞋是假货，商家不给退"),
        ("加油站计量不准", "这家加油站加的油明显比表上显示的少"),
    ],
    "城乡建设": [
        ("违章建筑", "邻居在楼顶私自加盖两层，一直没人管"),
        ("路灯不亮", "小区门口的路灯坏了半年，晚上一片漆黑"),
        ("拆迁补偿", "老房子拆迁，补偿标准太低，安置房迟迟不交"),
        ("燃气管道", "老旧小区燃气管道锈蚀，居民担心安全"),
        ("自来水停水", "我们这片经常停水，也不提前通知"),
        ("工地夜间施工", "工地晚上十一点还在浇筑混凝土，吵得睡不着"),
    ],
}


def test_the_category_tree_teaches_topics_the_messages_never_mention():
    names = dict(category_tree())
    assert names["传销"] == "商贸旅游" and names["物业服务"] == "城乡建设"
    assert names["公共汽车"] == "城乡建设"
    texts, labels = taxonomy_examples(["商贸旅游", "城乡建设"])
    assert "传销\n传销" in texts and set(labels) == {"商贸旅游", "城乡建设"}
    # an office's own list gets none, even when some of its names are in the tree
    assert taxonomy_examples(["学位", "道路"]) == ([], [])
    assert taxonomy_examples(["商贸旅游", "学位"]) == ([], [])
    data = [
        (message_text(t, b), label) for label, rows in TRADE_AND_BUILDING.items() for t, b in rows
    ]
    texts, labels = [t for t, _ in data], [label for _, label in data]
    model = TextClassifier().fit(texts, labels)
    assert model.predict(texts) == labels
    assert model.predict(["传销", "物业服务", "公共汽车"]) == ["商贸旅游", "城乡建设", "城乡建设"]
    # Without the tree 传销 and 公共汽车 are unknown: they score like an empty text.
    plain = TextClassifier(taxonomy_weight=0).fit(texts, labels)
    empty = plain.decision_function([""])
    assert plain.decision_function(["传销", "公共汽车"]) == pytest.approx(np.repeat(empty, 2, 0))


def test_starter_model_loads_once_and_predicts_plausible_labels():
    model = starter_model()
    assert model is starter_model()
    assert set(model.labels) == {
        "城乡建设", "劳动和社会保障", "教育文体", "商贸旅游", "环境保护", "卫生计生", "交通运输",
    }  # fmt: skip
    assert model.predict(
        [
            message_text(
                "学校强制补课乱收费", "孩子就读的中学暑假强制补课，每个学生收取补课费两千元。"
            ),
            message_text("", "小区门口路灯坏了，晚上很黑，希望尽快维修。"),
            message_text("社保转移办不了", "我的养老保险关系从外省转回来，社保局说办不了。"),
            message_text("", "化工厂晚上偷排废气，刺鼻的味道让人睡不着。"),
        ]
    ) == ["教育文体", "城乡建设", "劳动和社会保障", "环境保护"]
    top = model.suggest(message_text("学校强制补课乱收费", "暑假强制补课，每个学生收费两千元"))
    assert top[0].label == "教育文体" and top[0].confidence > 0.5
    assert "补课" in top[0].terms


# -- commands ---------------------------------------------------------------------------------
def write_csv(path, rows, header=("id", "title", "body", "label"), bom=True):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def tiny_rows():
    return [
        (str(n), title, body, label)
        for n, (label, (title, body)) in enumerate(
            (label, row) for label, rows in TINY.items() for row in rows
        )
    ]


def run_eval(**options):
    out, err = io.StringIO(), io.StringIO()
    call_command(triage_eval.Command(), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_triage_eval_prints_one_json_object(tmp_path):
    rows = tiny_rows()
    train = write_csv(tmp_path / "train.csv", rows)
    test = write_csv(tmp_path / "test.csv", rows[::3], bom=False)
    out, _ = run_eval(train=str(train), test=str(test))
    result = json.loads(out)
    assert set(result) == {
        "macro_f1", "accuracy", "f1", "train_seconds", "predict_per_second", "train_rows", "test_rows",
    }  # fmt: skip
    assert result["train_rows"] == 24 and result["test_rows"] == 8
    assert result["macro_f1"] == 1.0 and set(result["f1"]) == set(TINY)
    assert result["train_seconds"] > 0 and result["predict_per_second"] > 0


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing", "找不到训练集文件"),
        ("columns", "缺少列：label"),
        ("empty", "没有数据行"),
        ("one-label", "至少需要两个不同的类别"),
        ("no-label", "没有类别"),
        ("not-utf8", "不是 UTF-8 编码"),
    ],
)
def test_triage_eval_rejects_bad_files_with_exit_2(tmp_path, case, expected):
    good = write_csv(tmp_path / "good.csv", tiny_rows())
    train = tmp_path / "train.csv"
    if case == "columns":
        write_csv(train, [("1", "标题", "内容")], header=("id", "title", "body"))
    elif case == "empty":
        write_csv(train, [])
    elif case == "one-label":
        write_csv(train, [("1", "标题", "内容", "教育文体"), ("2", "标题", "内容", "教育文体")])
    elif case == "no-label":
        write_csv(train, [("1", "标题", "内容", "")])
    elif case == "not-utf8":
        train.write_bytes("id,title,body,label\n1,标题,内容,教育文体\n".encode("gbk"))
    with pytest.raises(SystemExit) as exit_info:
        run_eval(train=str(train), test=str(good))
    assert exit_info.value.code == 2


def test_triage_eval_error_message_is_chinese_on_stderr(tmp_path, capsys):
    good = write_csv(tmp_path / "good.csv", tiny_rows())
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command(
            triage_eval.Command(), train=str(good), test=str(tmp_path / "nope.csv"), stderr=err
        )
    assert "意见分拣评估失败：找不到测试集文件" in err.getvalue()


def test_build_starter_writes_a_loadable_model(tmp_path):
    train = write_csv(tmp_path / "train.csv", tiny_rows())
    output = tmp_path / "starter.model"
    out = io.StringIO()
    call_command(triage_build_starter.Command(), str(train), output=str(output), stdout=out)
    assert json.loads(out.getvalue())["rows"] == 24
    assert TextClassifier.load(output).labels == sorted(TINY)


def test_openday_triage_eval_command_line(tmp_path):
    """The real command line: `openday triage-eval` (dash) reaches the triage_eval command."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    train = write_csv(tmp_path / "train.csv", tiny_rows())
    command = [sys.executable, "-m", "openday", "triage-eval", "--train", str(train)]
    ok = subprocess.run(
        [*command, "--test", str(train)], env=env, capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["test_rows"] == 24
    assert ok.stderr == ""  # jieba and scikit-learn stay quiet
    bad = subprocess.run(
        [*command, "--test", str(tmp_path / "nope.csv")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "找不到测试集文件" in bad.stderr
