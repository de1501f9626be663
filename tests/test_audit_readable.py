"""Every audit entry reads as Chinese (#19): no program key, no choice code, no Python literal.

The first test reads the code: every call of audit.services.record (and of the modules' own
wrappers around it) in openday/, with the keys of the changes it writes, and every action in
ACTION_LABELS. For each it renders entries with representative values (text, booleans, None,
numbers, dates, lists, dicts, the choice values of fields of that name, and the shapes older
entries stored as text) through the real table template, and checks what a reader sees. The
second drives real flows on the demo data and reads /staff/audit/ and the dashboard as the
office administrator.
"""

import ast
import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.template.loader import render_to_string
from django.utils import timezone

from openday.audit import formatting
from openday.audit.models import ACTION_LABELS, AuditEntry
from openday.evaluation import indicators
from openday.orgs.tree_xlsx import COUNTS

ROOT = Path(__file__).resolve().parents[1] / "openday"

# Call sites whose keys the code makes at run time, with the keys they can make. A new call
# site of that kind fails test_every_dynamic_call_site_is_listed until it is added here.
DYNAMIC = {
    # {indicator code: [old, new]} for each indicator whose weight or target changed
    ("evaluation/services.py", "evaluation.weights_saved"): set(indicators.CODES),
    # the model fields of REPORT_FIELDS
    ("evaluation/services.py", "evaluation.report_saved"): {
        "report_experiences",
        "report_shortcomings",
        "report_next_steps",
    },
    # result.details: the import's four counts
    ("orgs/tree_xlsx.py", "org.imported"): set(COUNTS),
    # FIELD_LABELS[name]: Chinese labels
    ("publicity/services.py", "article.updated"): set(),
    # labels[field]: Chinese labels
    ("summaries/photos.py", "photo.updated"): set(),
}
# Values of keys that hold a dict, keyed by codes the code makes at run time.
NESTED = {"weights": set(indicators.CODES)}


@dataclass
class Site:
    path: str
    line: int
    actions: set[str]
    keys: set[str] = field(default_factory=set)
    dynamic: bool = False


def _strings(node: ast.AST | None) -> set[str]:
    """The string constants an expression can be ("a" if x else "b")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


class _Module:
    """One module's top-level constants and functions, to follow names to keys."""

    def __init__(self, tree: ast.Module):
        self.constants: dict[str, ast.expr] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    self.constants[target.id] = node.value
            elif isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node

    def sequence(self, node: ast.expr) -> tuple[set[str], bool]:
        """The strings of a list/tuple/dict (its keys), following module constants."""
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.sequence(self.constants[node.id])
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            keys: set[str] = set()
            dynamic = False
            for element in node.elts:
                inner = element.value if isinstance(element, ast.Starred) else element
                if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                    keys.add(inner.value)
                else:
                    more, more_dynamic = self.sequence(inner)
                    keys |= more
                    dynamic |= more_dynamic
            return keys, dynamic
        if isinstance(node, ast.Dict):
            return self.keys(node, None)
        return set(), True

    def keys(self, node: ast.expr | None, scope: ast.FunctionDef | None) -> tuple[set[str], bool]:
        """The keys a changes expression can have; dynamic when some cannot be read."""
        if node is None or (isinstance(node, ast.Constant) and node.value is None):
            return set(), False
        if isinstance(node, ast.Dict):
            keys: set[str] = set()
            dynamic = False
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:  # {**other}
                    more, more_dynamic = self.keys(value, scope)
                    keys |= more
                    dynamic |= more_dynamic
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    keys.add(key.value)
                else:
                    dynamic = True
            return keys, dynamic
        if isinstance(node, ast.DictComp):
            for generator in node.generators:
                iterable = generator.iter
                if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute):
                    iterable = iterable.func.value  # x.items()
                if isinstance(iterable, ast.Name) and scope is not None:
                    local = self._assigned(iterable.id, scope)
                    if local:
                        return self._union(local, scope)
                return self.sequence(iterable)
            return set(), True
        if isinstance(node, ast.BoolOp):
            return self._union(node.values, scope)
        if isinstance(node, ast.IfExp):
            return self._union([node.body, node.orelse], scope)
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name == "diff":
                return self._union(node.args, scope)
            if name == "dict" and node.args:
                return self.keys(node.args[0], scope)
            if name in self.functions:
                return self._returned(self.functions[name], node)
            return set(), True
        if isinstance(node, ast.Name) and scope is not None:
            values = self._assigned(node.id, scope)
            keys, dynamic = self._union(values, scope) if values else (set(), False)
            for sub in ast.walk(scope):  # changes["key"] = …
                if isinstance(sub, ast.Assign):
                    for target in sub.targets:
                        if (
                            isinstance(target, ast.Subscript)
                            and isinstance(target.value, ast.Name)
                            and target.value.id == node.id
                        ):
                            if isinstance(target.slice, ast.Constant):
                                keys.add(str(target.slice.value))
                            else:
                                dynamic = True
            if not values and not keys:
                return set(), True
            return keys, dynamic
        return set(), True

    def _union(self, nodes: list[ast.expr], scope: ast.FunctionDef | None) -> tuple[set[str], bool]:
        keys: set[str] = set()
        dynamic = False
        for node in nodes:
            more, more_dynamic = self.keys(node, scope)
            keys |= more
            dynamic |= more_dynamic
        return keys, dynamic

    @staticmethod
    def _assigned(name: str, scope: ast.FunctionDef) -> list[ast.expr]:
        values: list[ast.expr] = []
        for sub in ast.walk(scope):
            if isinstance(sub, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name for t in sub.targets):
                    values.append(sub.value)
            elif isinstance(sub, ast.AnnAssign) and isinstance(sub.target, ast.Name):
                if sub.target.id == name and sub.value is not None:
                    values.append(sub.value)
        return values

    def _returned(self, function: ast.FunctionDef, call: ast.Call) -> tuple[set[str], bool]:
        """The keys of what a module function returns (a snapshot helper)."""
        keys: set[str] = set()
        dynamic = False
        params = [a.arg for a in function.args.args]
        for sub in ast.walk(function):
            if isinstance(sub, ast.Return) and sub.value is not None:
                value = sub.value
                if isinstance(value, ast.DictComp):
                    iterable = value.generators[0].iter
                    if isinstance(iterable, ast.Name) and iterable.id in params:
                        iterable = call.args[params.index(iterable.id)]
                    more, more_dynamic = self.sequence(iterable)
                else:
                    more, more_dynamic = self.keys(value, function)
                keys |= more
                dynamic |= more_dynamic
            elif isinstance(sub, ast.For) and isinstance(sub.target, ast.Name):
                # for f in FIELDS: out[f] = …
                more, more_dynamic = self.sequence(sub.iter)
                keys |= more
                dynamic |= more_dynamic
        if dynamic and keys:
            dynamic = False  # a helper that fills a dict from a field list: the list is the keys
        return keys, dynamic


def _wrappers(tree: ast.Module) -> set[str]:
    """Functions that pass their action and **changes on to record (opinions' _log…)."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.args.kwarg is not None:
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Call)
                    and _callee(sub) == "record"
                    and sub.args
                    and isinstance(sub.args[0], ast.Name)
                ):
                    found.add(node.name)
    return found


def _callee(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr if call.func.attr == "record" else ""
    return ""


def call_sites() -> list[Site]:
    sites = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = _Module(tree)
        wrappers = _wrappers(tree)
        scopes: dict[ast.AST, ast.FunctionDef] = {}
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef):
                for sub in ast.walk(function):
                    if sub is not function:
                        scopes[sub] = function  # inner functions are walked later and win
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or not call.args:
                continue
            name = _callee(call)
            if name != "record" and name not in wrappers:
                continue
            actions = _strings(call.args[0])
            if not actions:
                continue  # the wrappers' own call, record(action, …): counted at their callers
            scope = scopes.get(call)
            site = Site(str(path.relative_to(ROOT)), call.lineno, actions)
            if name == "record":
                changes = next((k.value for k in call.keywords if k.arg == "changes"), None)
                site.keys, site.dynamic = module.keys(changes, scope)
            else:
                for keyword in call.keywords:
                    if keyword.arg is not None:
                        site.keys.add(keyword.arg)
                    else:
                        more, more_dynamic = module.keys(keyword.value, scope)
                        site.keys |= more
                        site.dynamic |= more_dynamic
            sites.append(site)
    return sites


SITES = call_sites()
# What record() itself adds to an entry made with an API token.
ALWAYS = {"via"}


def _keys_by_action() -> dict[str, set[str]]:
    by_action: dict[str, set[str]] = {a: set(ALWAYS) for a in ACTION_LABELS}
    for site in SITES:
        for action in site.actions:
            keys = by_action.setdefault(action, set(ALWAYS))
            keys |= site.keys
            for (path, dynamic_action), extra in DYNAMIC.items():
                if path == site.path and dynamic_action == action:
                    keys |= extra
    return by_action


KEYS_BY_ACTION = _keys_by_action()
ALL_KEYS = set().union(*KEYS_BY_ACTION.values())
ASCII_KEYS = {k for k in ALL_KEYS if k.isascii()} | set().union(*NESTED.values())
MODELS = [m for m in apps.get_models() if m.__module__.startswith("openday.")]


def _fields_named(key: str) -> list:
    found = []
    for model in MODELS:
        try:
            f = model._meta.get_field(key)
        except Exception:
            continue
        if getattr(f, "concrete", False):
            found.append(f)
    return found


def _choice_values(key: str) -> list[object]:
    values: list[object] = []
    for f in _fields_named(key):
        values += [c for c, _label in f.flatchoices if c not in ("", None)]
    values += list(formatting.VALUE_LABELS.get(key, {}))
    if key == "indicator":
        values += list(indicators.CODES)
    return values


NOW = datetime(2025, 5, 17, 10, 30, tzinfo=timezone.get_fixed_timezone(480))
# Everything a key's value has been in the code or in older entries.
PLAIN = [
    "示例文字",
    "",
    None,
    True,
    False,
    0,
    15,
    "2.5",
    Decimal("7.5"),
    0.8333,
    "2025-05-17",
    NOW.isoformat(),
    date(2025, 5, 17),
    NOW,
    ["甲", "乙"],
    [],
    {"甲": "一"},
    "True",
    "False",
    "None",
    "['甲', '乙']",
    "{'甲': 1}",
    ["['甲']", "['乙']"],
    [["15", "0.9"], ["20", "0.8"]],
    [{"甲": "1"}, {"甲": "2"}],
]


def _values(key: str) -> list[object]:
    choices = _choice_values(key)
    values: list[object] = [*PLAIN, *choices]
    values += [[a, b] for a, b in zip([None, *choices], choices, strict=False)]
    values += [[choices, choices[::-1]]] if choices else []
    nested = NESTED.get(key, set()) or {"示例"}
    values += [
        {k: "1" for k in nested},
        [None, {k: "1" for k in nested}],
        [{k: "1" for k in nested}, {k: "2" for k in nested}],
        str({k: "1" for k in sorted(nested)}),
    ]
    return values


def _object_types(key: str) -> list[str]:
    return ["", *sorted({f.model._meta.label_lower for f in _fields_named(key)})]


CELL = re.compile(r'<td class="small audit-changes">(.*?)</td>', re.S)
OPERATION = re.compile(r"<tr><td[^>]*>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>")
TAG = re.compile(r"<[^>]+>")
KEY_WORD = re.compile(
    r"(?<![A-Za-z0-9_])("
    + "|".join(sorted(map(re.escape, ASCII_KEYS), key=len, reverse=True))
    + r")(?![A-Za-z0-9_])"
)
LITERALS = ("{'", "['", '{"', '["', "True", "False", "None", "Decimal(", "datetime")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]+")


def _allowed_words() -> set[str]:
    """ASCII words that belong to Chinese labels and keys (“可见LOGO”, “API 令牌”)."""
    texts = [k for k in ALL_KEYS if not k.isascii()]
    texts += list(formatting.KEY_LABELS.values()) + list(ACTION_LABELS.values())
    for model in MODELS:
        for f in model._meta.concrete_fields:
            texts.append(str(f.verbose_name) if not str(f.verbose_name).isascii() else "")
            texts += [str(label) for _c, label in f.flatchoices]
    for indicator in indicators.CATALOGUE:
        texts += [indicator.label, indicator.measure]
    return {w for t in texts if not t.isascii() for w in WORD.findall(t)}


ALLOWED_WORDS = _allowed_words()


def _problems(page: str, values_are_ours: bool = True) -> list[str]:
    """What in the page's change cells is not Chinese, each with a little of its context."""
    found: dict[str, str] = {}

    def note(kind: str, match: re.Match[str] | None, text: str, token: str) -> None:
        at = match.start() if match else text.find(token)
        found.setdefault(f"{kind} {token!r}", text[max(0, at - 30) : at + 30])

    for raw in CELL.findall(page):
        text = " ".join(html.unescape(TAG.sub(" ", raw)).split())
        for match in KEY_WORD.finditer(text):
            note("raw key", match, text, match.group())
        for literal in LITERALS:
            if literal in text:
                note("Python literal", None, text, literal)
        if values_are_ours:  # every value the test wrote is Chinese or a number
            for match in WORD.finditer(text):
                if match.group() not in ALLOWED_WORDS:
                    note("ASCII word", match, text, match.group())
    return [f"{problem} in …{context}…" for problem, context in found.items()]


def _render(entries: list[AuditEntry]) -> str:
    return render_to_string("control/_audit_table.html", {"entries": entries})


def test_the_scan_finds_the_call_sites():
    actions = {a for s in SITES for a in s.actions}
    # A few known sites, so a broken scan cannot pass by finding nothing.
    assert {
        "event.status",
        "evaluation.scheme_created",
        "opinion.received",
        "article.approved",
    } <= actions
    assert "retention_days" in KEYS_BY_ACTION["event.personal_data_removed"]
    assert {"name", "parent", "kind"} <= KEYS_BY_ACTION["org.updated"]
    assert {"year", "declaration_deadline"} <= KEYS_BY_ACTION["campaign.updated"]
    assert {"options", "required"} <= KEYS_BY_ACTION["survey.question_edit"]
    assert "来源" in KEYS_BY_ACTION["opinion.received"]
    assert len(SITES) > 100


def test_every_dynamic_call_site_is_listed():
    unread = {(s.path, a) for s in SITES if s.dynamic for a in s.actions}
    assert unread <= set(DYNAMIC), (
        f"keys made at run time, list them in DYNAMIC: {unread - set(DYNAMIC)}"
    )


def test_every_action_has_a_chinese_label():
    actions = set(ACTION_LABELS) | {a for s in SITES for a in s.actions}
    entries = [AuditEntry(action=a, created_at=NOW) for a in sorted(actions)]
    shown = OPERATION.findall(_render(entries))
    assert len(shown) == len(entries)
    missing = [a for a, label in zip(sorted(actions), shown, strict=True) if label.isascii()]
    assert not missing, f"actions without a Chinese label: {missing}"


@pytest.mark.parametrize("action", sorted(KEYS_BY_ACTION))
def test_every_key_and_value_of_every_action_reads_as_chinese(action):
    entries = []
    for key in sorted(KEYS_BY_ACTION[action]):
        for object_type in _object_types(key):
            for value in _values(key):
                entries.append(
                    AuditEntry(
                        action=action,
                        object_type=object_type,
                        changes={key: value},
                        created_at=NOW,
                    )
                )
    page = _render(entries)
    assert len(CELL.findall(page)) == len(entries)
    problems = _problems(page)
    assert not problems, "\n".join(problems)


def test_a_dict_of_any_known_keys_reads_as_chinese():
    every = {k: "1" for k in sorted(ASCII_KEYS)}
    entries = [
        AuditEntry(action="org.updated", object_type=t, changes={"示例": v}, created_at=NOW)
        for t in ["", *sorted(m._meta.label_lower for m in MODELS)]
        for v in (every, [None, every], [every, {k: "2" for k in every}], str(every))
    ]
    problems = _problems(_render(entries))
    assert not problems, "\n".join(problems)


def test_the_wrong_shapes_of_the_issue_read_well():
    rows = formatting.describe(
        {
            "status": ["open", "held"],
            "published": [False, True],
            "weights": [None, {"held_on_plan": "15"}],
            "retention_days": 180,
            "rows": [["1. 甲"], ["1. 乙"]],
        },
        "events.event",
        "event.status",
    )
    texts = {r.label: (r.text, [(i.label, i.text) for i in r.items]) for r in rows}
    assert texts["状态"] == ("报名中 → 已举办", [])
    assert texts["已公布"] == ("否 → 是", [])
    assert texts["各项指标分值"][1] == [(indicators.BY_CODE["held_on_plan"].label, "15 分")]
    assert texts["个人信息保存期限（天）"] == ("180", [])
    assert texts["申报主题"] == ("1. 甲 → 1. 乙", [])


# --- Real flows ----------------------------------------------------------------------------


def _audit_pages(client, actions):
    pages = [client.get("/staff/").content.decode()]
    for action in sorted(actions):
        response = client.get("/staff/audit/", {"action": action})
        assert response.status_code == 200
        pages.append(response.content.decode())
    return pages


@pytest.mark.django_db
def test_real_flows_read_as_chinese_on_the_audit_log_and_the_dashboard(world, client):
    from openday.campaigns import services as campaigns
    from openday.campaigns.models import Campaign
    from openday.demo.services import load_demo_campaigns
    from openday.evaluation import services as evaluation
    from openday.events import services as events
    from openday.events.models import Event
    from openday.opinions import services as opinions
    from openday.orgs import services as orgs
    from openday.publicity import services as publicity

    office = world.users["kf_office"]
    load_demo_campaigns()
    campaign = Campaign.objects.get(office=world.kaifu, year=2023)
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    begins = timezone.now() + timedelta(days=5)
    event = events.create_event(
        world.users["unit_admin"],
        world.housing,
        title=f"{world.housing.name}2023年“政务公开主题日”活动",
        theme="老旧小区改造",
        starts_at=begins,
        ends_at=begins + timedelta(hours=2),
        venues=[{"name": "项目现场", "address": "开福区"}],
        agenda=[{"time": "09:00", "form": "现场观摩", "place": "项目现场", "host": "建设科"}],
        capacity=10,
        quotas={"deputy": 2, "public": 8},
        campaign=campaign,
        publish=True,
    )
    events.set_status(office, event, Event.Status.HELD)

    article = publicity.create_article(
        world.users["unit_staff"], world.housing, title="老旧小区改造现场观摩", body="第一段。"
    )
    publicity.submit_article(world.users["unit_staff"], article)
    publicity.approve_article(office, article, note="同意发布")

    scheme = evaluation.scheme_for(campaign, office)
    rows = [
        {"indicator": w.indicator, "weight": str(w.weight), "target": str(w.target)}
        for w in scheme.weights.order_by("position")
    ]
    a, b = [r for r in rows if Decimal(r["weight"]) >= 5][:2]
    a["weight"] = str(Decimal(a["weight"]) + 5)
    b["weight"] = str(Decimal(b["weight"]) - 5)
    evaluation.save_weights(office, scheme, rows)
    evaluation.publish_scheme(office, scheme)

    orgs.update_org(office, world.housing, short_name="住建局")
    campaigns.update_campaign(office, campaign, reminder_days=campaign.reminder_days + 1)

    # The retention setting at work: personal data removed RETENTION_DAYS after the event.
    later = timezone.now() + timedelta(days=3650)
    events.anonymize_past_events(now=later)
    opinions.anonymize_closed_opinions(now=later)

    written = AuditEntry.objects.filter(id__gt=start)
    actions = {e.action for e in written}
    assert {
        "event.status",
        "article.approved",
        "evaluation.weights_saved",
        "evaluation.published",
        "org.updated",
        "campaign.updated",
        "event.personal_data_removed",
    } <= actions, actions

    client = world.client_for(client, "kf_office")
    pages = _audit_pages(client, actions)
    shown = "".join(pages)
    for expected in ("已举办", "已公布", indicators.BY_CODE[a["indicator"]].label):
        assert expected in shown
    problems = [p for page in pages for p in _problems(page, values_are_ours=False)]
    assert not problems, problems[:5]
    assert "retention_days" not in shown and "held_on_plan" not in shown
