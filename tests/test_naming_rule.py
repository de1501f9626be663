"""The 会标 naming rule from seed 003 section 五（二）, over plain values."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openday.campaigns.presets import FORBIDDEN_NAMES, PRESETS
from openday.events.naming_rule import TitleCheck, check_title, normalize, suggest_title

THEME_PATTERNS = PRESETS["theme_day"]["name_patterns"]
OPEN_PATTERNS = PRESETS["open_day"]["name_patterns"]
HOUSING = ["开福区住房和城乡建设局", "区住房和城乡建设局"]
TOWN = ["沙日浩来镇人民政府", "沙日浩来镇"]
FORM_1 = "××××单位2023年“政务公开主题日”活动"


def theme(title, *, units=HOUSING, year=2023) -> TitleCheck:
    return check_title(
        title, patterns=THEME_PATTERNS, forbidden=FORBIDDEN_NAMES, unit_names=units, year=year
    )


def open_day(title, *, year=2023) -> TitleCheck:
    return check_title(
        title, patterns=OPEN_PATTERNS, forbidden=FORBIDDEN_NAMES, unit_names=TOWN, year=year
    )


def test_the_presets_are_the_seed_rule():
    assert THEME_PATTERNS == [
        "{单位}{年度}年“政务公开主题日”活动",
        "{单位}{年度}年“政务公开主题日”活动暨{副题}",
    ]
    assert FORBIDDEN_NAMES == ["校园开放日", "司法开放日", "警务开放日", "政务服务开放日"]


@pytest.mark.parametrize(
    "title",
    [
        "开福区住房和城乡建设局2023年“政务公开主题日”活动",
        "开福区住房和城乡建设局2023年“政务公开主题日”活动暨住房保障政策宣讲会",
        "区住房和城乡建设局2023年“政务公开主题日”活动",
        "区住房和城乡建设局2023年“政务公开主题日”活动暨住房保障政策宣讲会",
        '开福区住房和城乡建设局2023年"政务公开主题日"活动',
        '区住房和城乡建设局2023年"政务公开主题日"活动暨“安居开福”开放体验',
        "开福区住房和城乡建设局2023年「政务公开主题日」活动",
        "  开福区住房和城乡建设局 2023 年“政务公开主题日”活动 暨 住房保障政策宣讲会 ",
    ],
)
def test_the_seed_forms_are_accepted(title):
    result = theme(title)
    assert result == TitleCheck(True, [], "开福区住房和城乡建设局2023年“政务公开主题日”活动")


@pytest.mark.parametrize("word", FORBIDDEN_NAMES)
def test_each_forbidden_name_is_refused_by_name(word):
    result = theme(f"开福区住房和城乡建设局2023年“政务公开主题日”活动暨{word}")
    assert not result.ok
    assert result.reasons == [f"会标不得冠以“{word}”等名称，请按“{FORM_1}”命名。"]
    assert result.suggestion == "开福区住房和城乡建设局2023年“政务公开主题日”活动"


def test_a_forbidden_name_on_its_own_or_spaced_out_is_refused():
    assert theme("开福区住房和城乡建设局司法开放日").reasons == [
        f"会标不得冠以“司法开放日”等名称，请按“{FORM_1}”命名。"
    ]
    assert "“警务开放日”" in theme("警务 开放日").reasons[0]


def test_the_wrong_year_is_named():
    result = theme("开福区住房和城乡建设局2022年“政务公开主题日”活动")
    assert not result.ok
    assert result.reasons == ["会标中的年度应为2023年（本次活动的年度），不能写成2022年。"]
    assert result.suggestion == "开福区住房和城乡建设局2023年“政务公开主题日”活动"


def test_another_units_name_is_refused_with_the_right_name():
    result = theme("开福区教育局2023年“政务公开主题日”活动暨开学第一课")
    assert not result.ok
    assert result.reasons == [
        "会标须以本单位名称“开福区住房和城乡建设局”（或“区住房和城乡建设局”）开头，"
        "不能写成“开福区教育局”。"
    ]


def test_a_missing_unit_name_is_named():
    result = theme("2023年“政务公开主题日”活动")
    assert result.reasons == [
        "会标须以本单位名称“开福区住房和城乡建设局”（或“区住房和城乡建设局”）开头。"
    ]


def test_wrong_unit_and_year_are_both_named():
    result = theme("开福区教育局2022年“政务公开主题日”活动")
    assert len(result.reasons) == 2
    assert "开福区住房和城乡建设局" in result.reasons[0]
    assert "应为2023年" in result.reasons[1]


def test_a_missing_activity_suffix_quotes_the_required_forms():
    result = theme("开福区住房和城乡建设局2023年“政务公开主题日”")
    assert not result.ok
    assert result.reasons == [f"会标缺少规定的活动名称部分，请按“{FORM_1}”或“{FORM_1}暨××××”命名。"]
    assert result.suggestion == "开福区住房和城乡建设局2023年“政务公开主题日”活动"


def test_a_made_up_name_gets_the_required_forms():
    result = theme("开福区住房和城乡建设局2023年政府开放活动")
    assert result.reasons == [f"会标缺少规定的活动名称部分，请按“{FORM_1}”或“{FORM_1}暨××××”命名。"]


@pytest.mark.parametrize(
    "title",
    [
        "开福区住房和城乡建设局“政务公开主题日”活动",
        "开福区住房和城乡建设局2023“政务公开主题日”活动",
        "开福区住房和城乡建设局二〇二三年“政务公开主题日”活动",
    ],
)
def test_a_missing_year_is_named(title):
    assert theme(title).reasons == [
        f"会标须写明活动年度“2023年”，请按“{FORM_1}”或“{FORM_1}暨××××”命名。"
    ]


def test_long_titles_are_checked_quickly():
    result = theme("1" * 5000 + "年“政务公开主题日”活动暨" + "2023年" * 1000)
    assert not result.ok
    assert len(result.reasons[0]) < 200


@pytest.mark.parametrize(
    "title",
    [
        "开福区住房和城乡建设局2023年“政务公开主题日”活动暨",
        "开福区住房和城乡建设局2023年“政务公开主题日”活动暨  ",
    ],
)
def test_ji_without_a_subtitle_says_what_to_write(title):
    result = theme(title)
    assert not result.ok
    assert result.reasons == [
        f"“暨”后须写明具体的活动名称（副题），如“{FORM_1}暨××××”；没有副题的，请删去“暨”字。"
    ]


def test_ji_without_a_subtitle_and_a_wrong_year():
    result = theme("开福区住房和城乡建设局2021年“政务公开主题日”活动暨")
    assert len(result.reasons) == 2
    assert "不能写成2021年" in result.reasons[0]
    assert result.reasons[1].startswith("“暨”后须写明")


def test_an_overlong_subtitle_is_refused():
    result = theme("开福区住房和城乡建设局2023年“政务公开主题日”活动暨" + "宣" * 61)
    assert result.reasons == ["“暨”后的副题不能超过60个字（现有61个字），请精简。"]
    assert theme("开福区住房和城乡建设局2023年“政务公开主题日”活动暨" + "宣" * 60).ok


@pytest.mark.parametrize("title", ["", "   ", "\u3000", None])
def test_an_empty_title_is_refused(title):
    result = theme(title)
    assert result == TitleCheck(
        False, ["请填写会标（活动名称）。"], "开福区住房和城乡建设局2023年“政务公开主题日”活动"
    )


@pytest.mark.parametrize(
    "title",
    [
        "沙日浩来镇人民政府2023年“政府开放日”活动",
        "沙日浩来镇2023年“政府开放日”活动",
        "沙日浩来镇2023年“政府开放日”活动暨共同参与，以开放促发展",
    ],
)
def test_open_day_titles_of_the_town_are_accepted(title):
    result = open_day(title)
    assert result.ok, result.reasons
    assert result.suggestion == "沙日浩来镇人民政府2023年“政府开放日”活动"


def test_open_day_titles_are_checked_against_their_own_pattern():
    result = open_day("沙日浩来镇2023年“政务公开主题日”活动")
    assert result.reasons == [
        "会标缺少规定的活动名称部分，请按“××××单位2023年“政府开放日”活动”"
        "或“××××单位2023年“政府开放日”活动暨××××”命名。"
    ]
    assert open_day("沙日浩来镇2024年“政府开放日”活动").reasons == [
        "会标中的年度应为2023年（本次活动的年度），不能写成2024年。"
    ]
    assert not open_day("沙日浩来镇2023年“政务服务开放日”活动").ok


def test_without_patterns_only_forbidden_names_count():
    def check(title):
        return check_title(
            title, patterns=[], forbidden=FORBIDDEN_NAMES, unit_names=HOUSING, year=2023
        )

    assert check("随便什么名称") == TitleCheck(True, [], "")
    result = check("校园开放日")
    assert result.reasons == ["会标不得冠以“校园开放日”等名称，请修改会标。"]
    assert result.suggestion == ""


def test_without_unit_names_any_unit_is_accepted():
    result = theme("某某局2023年“政务公开主题日”活动", units=[])
    assert result.ok
    assert result.suggestion == FORM_1


def test_the_year_comes_from_the_campaign():
    assert theme("区住房和城乡建设局2024年“政务公开主题日”活动", year=2024).ok
    assert not theme("区住房和城乡建设局2023年“政务公开主题日”活动", year=2024).ok


def test_suggest_title_fills_the_placeholders():
    assert (
        suggest_title(THEME_PATTERNS[1], unit_name=" 沙日浩来镇 ", year=2023, subtitle="座谈会")
        == "沙日浩来镇2023年“政务公开主题日”活动暨座谈会"
    )
    assert suggest_title(THEME_PATTERNS[1], unit_name="某局", year=2023) == (
        "某局2023年“政务公开主题日”活动暨××××"
    )
    # A subtitle that looks like a placeholder is not filled again.
    assert suggest_title(THEME_PATTERNS[1], unit_name="某局", year=2023, subtitle="{单位}") == (
        "某局2023年“政务公开主题日”活动暨{单位}"
    )


# -- properties -----------------------------------------------------------------------------

subtitles = st.text(min_size=1, max_size=60).filter(
    lambda s: (
        1 <= len(normalize(s)) <= 60 and not any(word in normalize(s) for word in FORBIDDEN_NAMES)
    )
)


@given(subtitles, st.sampled_from(HOUSING))
def test_a_suggested_title_with_any_subtitle_passes(subtitle, unit):
    title = suggest_title(THEME_PATTERNS[1], unit_name=unit, year=2023, subtitle=subtitle)
    result = theme(title)
    assert result.ok, (title, result.reasons)


@given(
    st.text(max_size=30),
    st.sampled_from(FORBIDDEN_NAMES),
    st.text(max_size=30),
    st.sampled_from([THEME_PATTERNS, OPEN_PATTERNS, []]),
)
def test_a_title_with_a_forbidden_name_never_passes(before, word, after, patterns):
    result = check_title(
        before + word + after,
        patterns=patterns,
        forbidden=FORBIDDEN_NAMES,
        unit_names=HOUSING,
        year=2023,
    )
    assert not result.ok
    assert f"“{word}”" in result.reasons[0]


pieces = st.sampled_from(
    ["开福区住房和城乡建设局", "区住房和城乡建设局", "开福区教育局", "2023年", "2022年", "年",
     "“", "”", '"', "「", "」", "政务公开主题日", "政府开放日", "活动", "暨", " ", "司法开放日"]
)  # fmt: skip
titles = st.one_of(
    st.text(max_size=80), st.lists(st.one_of(pieces, st.text(max_size=4)), max_size=8).map("".join)
)


@given(titles, st.integers(min_value=2000, max_value=2100))
def test_checking_never_raises_and_refusals_always_explain(title, year):
    result = theme(title, year=year)
    assert result.ok or result.reasons
    assert all(reason.endswith("。") for reason in result.reasons)
    assert result.suggestion == f"开福区住房和城乡建设局{year}年“政务公开主题日”活动"
    if result.ok:
        text = normalize(title)
        assert text.startswith(("开福区住房和城乡建设局", "区住房和城乡建设局"))
        assert f"{year}年" in text and '"政务公开主题日"活动' in text
        assert not any(word in text for word in FORBIDDEN_NAMES)
