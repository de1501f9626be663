"""Every staff form page round-trips (issue #19): opened with existing data and submitted
unchanged, it saves, and the stored dates and times do not move.

FormParser reads every ``<form method="post">`` of a page the way a browser submits it: checked
checkboxes and radios only, selected options, textarea content, hidden inputs, the first submit
button, empty file inputs; and, like a browser, a date, time or datetime-local input whose value
is not in the input's own format (2026-12-06, 08:30, 2026-12-06T08:30) shows and sends nothing.

Every page of the permission matrix (tests/test_permission_matrix.py) is opened as a persona
allowed to; each form posting back to its page is submitted unchanged, unless the page or form is
in SKIPS. It must save (a redirect, or the page again without errors); only a create form may answer with
errors, and only on fields it offered empty, showing back what was sent. After saving, the page
shows what was sent. Either way no
stored date, time or datetime of an existing row changes. A URL named like a form page
(*_edit, *_create, *_add, *_new, *_form) must be round-tripped or listed in SKIPS.
"""

import re
from urllib.parse import urlsplit

from django import forms
from django.apps import apps
from django.db import models
from django.urls import get_resolver

from .test_permission_matrix import staff_pages

# The persona a page is opened as: the first of these allowed to.
ORDER = [
    "operator",
    "kf_office",
    "unit_admin",
    "unit_staff",
    "nm_office",
    "town_admin",
    "kf_viewer",
    "handler",
    "town_handler",
]

# url name -> why its forms are not submitted unchanged (the whole page).
SKIPS = {
    "password_change": "needs the current password, which the page never shows",
    "two_factor_enrol": "needs a code from the authenticator app",
    "org_import": "an import: needs a file",
    "campaign_import": "an import: needs a file",
    "survey_import": "an import: needs a file",
    "opinion_import": "an import: needs a file",
    "workday_import": "an import: needs a file or pasted notice text",
    "photo_manage": "an upload: needs image files",
    "event_invitations": "one-shot actions (send, remind) and an upload that needs a file",
    "campaign_plan": "one-shot actions: generate, publish and move plan entries",
    "event_checkin": "one-shot action: checks a person in",
    "survey_paper": "enters one more paper questionnaire each time",
    "response_detail": "one-shot action: marks a response invalid",
    "callback_detail": "records one call-back attempt each time",
    "evaluation_awards": "adds one award each time",
}
# (url name, hidden input, value) -> why that form of the page is not submitted.
FORM_SKIPS = {
    ("workday_index", "action", "clear"): "one-shot action: deletes a day",
    ("workday_year", "action", "clear"): "one-shot action: deletes a day",
    ("declaration_edit", "upload", "1"): "an upload: needs the filled-in .xlsx file",
}
# GET forms that lead to a page's real form: url name -> the field that marks the step form.
STEPS = {"campaign_create": "preset"}
FORM_PAGE = re.compile(r"_(edit|create|add|new|form)$")
CREATE = re.compile(r"_(create|add|new)$")

# Browsers show and send a date/time input's value only when it is in the input's own format.
HTML_VALUE = {
    "date": re.compile(r"\d{4,}-\d\d-\d\d"),
    "time": re.compile(r"\d\d:\d\d(:\d\d(\.\d{1,3})?)?"),
    "datetime-local": re.compile(r"\d{4,}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d{1,3})?)?"),
    "month": re.compile(r"\d{4,}-\d\d"),
}


class Field:
    def __init__(self, name, value, raw, required, kind):
        self.name, self.value, self.raw = name, value, raw
        self.required, self.kind = required, kind


class PageForm:
    def __init__(self, attrs):
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.fields: list[Field] = []
        self.submits: list[tuple[str, str]] = []  # (name, value) of the submit buttons

    def data(self):
        """What a browser sends when the first submit button is pressed."""
        pairs = [(f.name, f.value) for f in self.fields]
        if self.submits and self.submits[0][0]:
            pairs.append(self.submits[0])
        data = {}
        for name, value in pairs:
            data.setdefault(name, []).append(value)
        return data

    def values(self):
        return {(f.name, f.value) for f in self.fields if f.name != "csrfmiddlewaretoken"}


def _browser_value(kind, value):
    pattern = HTML_VALUE.get(kind)
    if pattern is not None and not pattern.fullmatch(value):
        return ""
    if kind == "datetime-local":
        return value.replace(" ", "T")
    if kind != "textarea":
        value = value.replace("\r", "").replace("\n", "")
    return value


class FormParser(__import__("html.parser").parser.HTMLParser):
    """The forms of a page and what a browser would submit for each."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form = None
        self._select = None  # [name, multiple, required, options [(value, selected)]]
        self._option = None  # [value or None, text, selected]
        self._textarea = None  # [name, text, required]

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = PageForm(a)
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        name, required = a.get("name", ""), "required" in a
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image"):
                form.submits.append((name, a.get("value", "")))
            elif not name or kind in ("button", "reset"):
                return
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append(Field(name, a.get("value", "on"), "on", False, kind))
            elif kind == "file":
                form.fields.append(Field(name, "", "", required, kind))  # sent empty
            else:
                raw = a.get("value", "")
                form.fields.append(Field(name, _browser_value(kind, raw), raw, required, kind))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            form.submits.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = [name, "multiple" in a, required, []]
        elif tag == "option" and self._select is not None:
            self._end_option()
            self._option = [a.get("value"), "", "selected" in a]
        elif tag == "textarea" and name:
            self._textarea = [name, "", required]

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def _end_option(self):
        if self._option is not None:
            value, text, selected = self._option
            self._select[3].append((text.strip() if value is None else value, selected))
            self._option = None

    def handle_endtag(self, tag):
        if tag == "option":
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            name, multiple, required, options = self._select
            chosen = [v for v, selected in options if selected]
            if not multiple:  # a single select sends its last selected option, else its first
                chosen = chosen[-1:] or [v for v, _ in options[:1]]
            for value in chosen:
                self._form.fields.append(Field(name, value, value, required, "select"))
            if not chosen and required:
                self._form.fields.append(Field(name, "", "", required, "select"))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text, required = self._textarea
            text = text[1:] if text.startswith("\n") else text  # the parser keeps it, browsers not
            self._form.fields.append(Field(name, text, text, required, "textarea"))
            self._textarea = None
        elif tag == "form":
            self._form = None


def page_forms(html):
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def _own_post_forms(html, url):
    return [
        f
        for f in page_forms(html)
        if f.method == "post"
        and (not f.action or urlsplit(f.action).path == urlsplit(url).path)
        and f.submits  # without a submit button a browser cannot send it
    ]


def _context_forms(response):
    found = []
    for context in response.context or []:
        for value in context.flatten().values():
            items = value if isinstance(value, list | tuple) else [value]
            found += [v for v in items if isinstance(v, forms.BaseForm)]
    return found


# --- Stored dates and times ----------------------------------------------------------------------

TEMPORAL = (models.DateField, models.TimeField)  # DateTimeField is a DateField


def _temporal_columns():
    for model in apps.get_models():
        if not model.__module__.startswith("openday.") or model._meta.app_label == "audit":
            continue  # sessions expire later on every request; audit entries only add rows
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, TEMPORAL)
            and not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        ]
        if names and not model._meta.proxy:
            yield model, names


def stored_dates():
    """{(model label, pk, field): value} for every date, time and datetime stored."""
    values = {}
    for model, names in _temporal_columns():
        for row in model._default_manager.values("pk", *names):
            for name in names:
                values[(model._meta.label, row["pk"], name)] = row[name]
    return values


def _minutes(value):
    """Inputs hold minutes: a value stored with seconds (by a service) saves at its minute."""
    if hasattr(value, "second"):
        return value.replace(second=0, microsecond=0)
    return value


def _moved(before, after):
    return [
        f"{key}: {value!r} -> {after[key]!r}"
        for key, value in before.items()
        if key in after and _minutes(after[key]) != _minutes(value)
    ]


# --- The round trip ------------------------------------------------------------------------------


def _skipped_form(name, form):
    values = {(f.name, f.value) for f in form.fields}
    return next(
        (
            why
            for (n, field, value), why in FORM_SKIPS.items()
            if n == name and (field, value) in values
        ),
        None,
    )


def _follow_steps(c, name, url, html):
    """The page behind a step form (e.g. the new campaign's settings after the template)."""
    marker = STEPS.get(name)
    if marker is None:
        return url, html
    step = next(
        f for f in page_forms(html) if f.method == "get" and any(x.name == marker for x in f.fields)
    )
    query = "&".join(f"{f.name}={f.value}" for f in step.fields)
    url = f"{urlsplit(url).path}?{query}"
    return url, c.get(url).content.decode()


def round_trip(c, name, url):
    """Problems found submitting url's own forms unchanged, and how many forms were sent."""
    response = c.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return [], 0
    url, html = _follow_steps(c, name, url, response.content.decode())
    problems, sent = [], 0
    forms_ = _own_post_forms(html, url)
    for index, form in enumerate(forms_):
        if _skipped_form(name, form):
            continue
        where = f"{name} {url} form {index + 1}"
        before = stored_dates()
        response = c.post(url, form.data())
        sent += 1
        errors = {
            (f.add_prefix(field) if field != "__all__" else field): errs
            for f in _context_forms(response)
            if f.is_bound
            for field, errs in f.errors.items()
        }
        offered = {f.name for f in form.fields if f.raw}
        edit = FORM_PAGE.search(name) and not CREATE.search(name)
        if response.status_code == 302:
            pass
        elif response.status_code in (200, 400) and not errors:
            if response.status_code == 400:
                problems.append(f"{where}: 400 without form errors")
        elif edit or "__all__" in errors or set(errors) & offered:
            problems.append(f"{where}: refused unchanged: {errors}")
        else:  # a blank create form: what was typed comes back
            shown = _own_post_forms(response.content.decode(), url)
            if index < len(shown) and shown[index].values() != form.values():
                lost = form.values() ^ shown[index].values()
                problems.append(f"{where}: the page with errors changed what was sent: {lost}")
        moved = _moved(before, stored_dates())
        if moved:
            problems.append(f"{where}: stored dates moved: {moved}")
        if response.status_code == 302 and not CREATE.search(name):
            again = _own_post_forms(c.get(url).content.decode(), url)
            if len(again) == len(forms_) and again[index].values() != form.values():
                diff = sorted(form.values() ^ again[index].values())
                problems.append(f"{where}: the page shows other values after saving: {diff}")
    return problems, sent


def declaration_pages(w):
    """A campaign open for declarations: 住建局's draft, and 四方坪街道 declaring for the first
    time (its contact comes from its earlier declaration or the unit)."""
    from openday.campaigns import services

    kf = w.users["kf_office"]
    fields = services.preset_fields("theme_day", w.kaifu, 2030)
    campaign = services.issue_notice(kf, services.create_campaign(kf, w.kaifu, **fields))
    services.save_declaration(
        w.users["unit_admin"],
        services.declaration_for(campaign, w.housing),
        {"contact_name": "张三", "contact_phone": "0731-84390000"},
        [{"theme": "主题", "month": 6, "forms": ["座谈交流"], "intro": "介" * 40}],
    )
    base = f"/staff/campaigns/{campaign.pk}/declare"
    return [
        ("declaration_edit", f"{base}/{w.housing.pk}/", {"unit_admin"}),
        ("declaration_edit", f"{base}/{w.street.pk}/", {"kf_office"}),
    ]


def test_every_form_page_round_trips(world, client):
    problems, covered, sent = [], set(), 0
    seen = set()
    for name, url, allowed in [*staff_pages(world), *declaration_pages(world)]:
        if url in seen or name in SKIPS:
            continue
        seen.add(url)
        persona = next((p for p in ORDER if p in allowed), None)
        if persona is None:
            continue
        found, count = round_trip(world.client_for(client, persona), name, url)
        problems += found
        sent += count
        if count:
            covered.add(name)
    control = {p.name for p in get_resolver("openday.control.urls").url_patterns}
    forgotten = {n for n in control if FORM_PAGE.search(n)} - covered - set(SKIPS)
    assert not forgotten, f"form pages neither round-tripped nor in SKIPS: {sorted(forgotten)}"
    assert not problems, "\n".join(problems)
    assert sent > 30 and len(covered) >= 20, (sent, sorted(covered))
