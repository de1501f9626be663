"""The 会标 (event title) naming rule of a campaign.

The seed plan says an event's title may be “××××单位2023年“政务公开主题日”活动” or
“××××单位2023年“政务公开主题日”活动暨××××” and must not be called “校园开放日”“司法开放日”
“警务开放日”“政务服务开放日”. A campaign stores this as ``name_patterns`` such as
``{单位}{年度}年“政务公开主题日”活动暨{副题}`` and a list of ``forbidden_names``.

Everything here works on plain values, so callers pass ``campaign.name_patterns``,
``campaign.forbidden_names``, ``campaign.year`` and ``[org.name, org.short_name]``.

Matching rules:

* whitespace is ignored (ASCII and full-width spaces alike);
* the quotes “” "" 「」 ＂ are interchangeable;
* ``{单位}`` is one of the unit's names, ``{年度}`` the campaign year, ``{副题}`` (and any
  other placeholder) 1-60 characters of any text. Without unit names ``{单位}`` accepts any
  non-empty text.
"""

import re
from dataclasses import dataclass, field

UNIT = "单位"
YEAR = "年度"
SUBTITLE = "副题"
SUBTITLE_MAX = 60

# How the seed writes the blanks of the model title: “××××单位2023年…活动暨××××”.
UNIT_BLANK = "××××单位"
TEXT_BLANK = "××××"

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_QUOTES = str.maketrans(dict.fromkeys("“”「」＂", '"'))
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(\d{4})年")


@dataclass
class TitleCheck:
    ok: bool
    reasons: list[str] = field(default_factory=list)
    suggestion: str = ""


def normalize(text: str) -> str:
    """The form titles are compared in: no whitespace, one kind of quote."""
    return "".join((text or "").split()).translate(_QUOTES)


def suggest_title(pattern: str, *, unit_name: str, year: int, subtitle: str = "") -> str:
    """The title ``pattern`` gives for this unit and year.

    A ``{副题}`` (or other free placeholder) without ``subtitle`` is left as the seed's blank
    “××××”, so the result shows where the subtitle goes.
    """
    unit_name = (unit_name or "").strip() or UNIT_BLANK
    subtitle = (subtitle or "").strip() or TEXT_BLANK

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name == UNIT:
            return unit_name
        if name == YEAR:
            return str(year)
        return subtitle

    return _PLACEHOLDER.sub(fill, pattern)


def check_title(
    title: str,
    *,
    patterns: list[str],
    forbidden: list[str],
    unit_names: list[str],
    year: int,
) -> TitleCheck:
    """Whether ``title`` follows the campaign's naming rule, and if not, why and what to use."""
    patterns = [p for p in (patterns or []) if p and p.strip()]
    units = _unit_names(unit_names)
    suggestion = (
        suggest_title(patterns[0], unit_name=units[0] if units else "", year=year)
        if patterns
        else ""
    )
    model = _model_forms(patterns, year)

    text = normalize(title)
    if not text:
        return TitleCheck(False, ["请填写会标（活动名称）。"], suggestion)

    found = [word for word in _unique(forbidden) if normalize(word) in text]
    if found:
        names = "".join(f"“{word}”" for word in found)
        fix = f"请按“{model[0]}”命名。" if model else "请修改会标。"
        return TitleCheck(False, [f"会标不得冠以{names}等名称，{fix}"], suggestion)

    if not patterns:
        return TitleCheck(True, [], suggestion)

    norm_units = [normalize(u) for u in units]
    for pattern in patterns:
        if _strict(pattern, norm_units, year).fullmatch(text):
            return TitleCheck(True, [], suggestion)

    reasons = _diagnose(text, patterns, units, year, model)
    return TitleCheck(False, reasons, suggestion)


# -- matching -------------------------------------------------------------------------------


def _unique(values) -> list[str]:
    seen = []
    for value in values or []:
        value = (value or "").strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def _unit_names(unit_names) -> list[str]:
    return [name for name in _unique(unit_names) if normalize(name)]


def _model_forms(patterns: list[str], year: int) -> list[str]:
    """The patterns written the way the seed writes them, with “××××” blanks."""
    return [
        suggest_title(p, unit_name=UNIT_BLANK, year=year, subtitle=TEXT_BLANK) for p in patterns
    ]


def _regex(pattern: str, placeholder) -> re.Pattern:
    parts = []
    pos = 0
    for match in _PLACEHOLDER.finditer(pattern):
        parts.append(re.escape(normalize(pattern[pos : match.start()])))
        parts.append(placeholder(match.group(1)))
        pos = match.end()
    parts.append(re.escape(normalize(pattern[pos:])))
    return re.compile("".join(parts))


def _strict(pattern: str, norm_units: list[str], year: int) -> re.Pattern:
    """The regex a correct title matches in full (on its normalized form)."""
    units = sorted(set(norm_units), key=len, reverse=True)
    used: set[str] = set()

    def placeholder(name: str) -> str:
        if name == UNIT:
            expr = "|".join(re.escape(u) for u in units) if units else ".+?"
            return _group(name, f"(?:{expr})", used)
        if name == YEAR:
            return _group(name, re.escape(str(year)), used)
        return _group(name, f".{{1,{SUBTITLE_MAX}}}", used)

    return _regex(pattern, placeholder)


def _relaxed(pattern: str) -> re.Pattern:
    """The pattern's shape with anything allowed in the placeholders, to locate mistakes."""
    used: set[str] = set()

    def placeholder(name: str) -> str:
        if name == UNIT:
            return _group(name, ".*?", used)
        if name == YEAR:
            return _group(name, r"(?<!\d)\d{1,4}", used)
        return _group(name, ".*", used)

    return _regex(pattern, placeholder)


def _group(name: str, expr: str, used: set[str]) -> str:
    """A named group the first time a placeholder occurs, a plain group afterwards."""
    key = {UNIT: "unit", YEAR: "year"}.get(name, "sub")
    if key in used:
        return f"(?:{expr})"
    used.add(key)
    return f"(?P<{key}>{expr})"


# -- reasons --------------------------------------------------------------------------------


def _diagnose(text, patterns, units, year, model) -> list[str]:
    forms = "或".join(f"“{m}”" for m in model)
    norm_units = {normalize(u) for u in units}

    best = None
    for pattern, form in zip(patterns, model, strict=True):
        match = _relaxed(pattern).fullmatch(text)
        if match is None:
            continue
        reasons = _placeholder_reasons(match, units, norm_units, year, forms, form)
        if reasons and (best is None or len(reasons) < len(best)):
            best = reasons
    if best:
        return best

    # The fixed words are wrong too: say what can still be told apart, then the right form.
    reasons = []
    starts_with_unit = all(p.startswith("{" + UNIT + "}") for p in patterns)
    if units and not any(
        (text.startswith(u) if starts_with_unit else u in text) for u in norm_units
    ):
        reasons.append(_unit_reason(units, ""))
    if any("{" + YEAR + "}" in p for p in patterns):
        wrong = sorted({y for y in _YEAR_IN_TEXT.findall(text) if y != str(year)})
        if wrong:
            reasons.append(_year_reason(year, wrong))
        elif not _YEAR_IN_TEXT.search(text):
            reasons.append(f"会标须写明活动年度“{year}年”，请按{forms}命名。")
            return reasons
    with_subtitle = [m for p, m in zip(patterns, model, strict=True) if _has_subtitle(p)]
    if text.endswith("暨") and with_subtitle:
        reasons.append(_subtitle_reason(with_subtitle[0]))
    elif not reasons or _fixed_words_missing(text, patterns):
        reasons.append(f"会标缺少规定的活动名称部分，请按{forms}命名。")
    return reasons


def _placeholder_reasons(match, units, norm_units, year, forms, form) -> list[str]:
    reasons = []
    groups = match.groupdict()
    unit = groups.get("unit")
    if unit is not None and not unit:
        if units:
            reasons.append(_unit_reason(units, ""))
        else:
            reasons.append(f"会标须以单位名称开头，请按{forms}命名。")
    elif unit is not None and units and unit not in norm_units:
        reasons.append(_unit_reason(units, unit))
    given_year = groups.get("year")
    if given_year is not None and given_year != str(year):
        reasons.append(_year_reason(year, [given_year]))
    subtitle = groups.get("sub")
    if subtitle is not None and not subtitle:
        reasons.append(_subtitle_reason(form))
    elif subtitle is not None and len(subtitle) > SUBTITLE_MAX:
        reasons.append(
            f"“暨”后的副题不能超过{SUBTITLE_MAX}个字（现有{len(subtitle)}个字），请精简。"
        )
    return reasons


def _has_subtitle(pattern: str) -> bool:
    return any(n not in (UNIT, YEAR) for n in _PLACEHOLDER.findall(pattern))


def _fixed_words_missing(text: str, patterns: list[str]) -> bool:
    """Whether the title lacks the fixed words (such as “政务公开主题日”活动) of every pattern."""
    for pattern in patterns:
        fixed = [normalize(s) for s in _PLACEHOLDER.split(pattern)[::2]]
        if all(words in text for words in fixed if words):
            return False
    return True


def _unit_reason(units: list[str], given: str) -> str:
    names = f"“{units[0]}”"
    if len(units) > 1:
        names += "（或" + "、".join(f"“{u}”" for u in units[1:]) + "）"
    if given:
        if len(given) > 20:
            given = given[:20] + "……"
        return f"会标须以本单位名称{names}开头，不能写成“{given}”。"
    return f"会标须以本单位名称{names}开头。"


def _year_reason(year: int, wrong: list[str]) -> str:
    written = "、".join(f"{y}年" for y in wrong)
    return f"会标中的年度应为{year}年（本次活动的年度），不能写成{written}。"


def _subtitle_reason(form: str) -> str:
    return f"“暨”后须写明具体的活动名称（副题），如“{form}”；没有副题的，请删去“暨”字。"
