"""Where input enters: the form and API schema bases that apply openday.lib.text once.

Every form in openday derives from Form (tests/test_input_normalization.py fails for one that
does not), every API input schema from InputSchema, and a view that reads request.POST itself
goes through clean_post. Passwords are left exactly as typed.

Dates and times: an <input type="date|time|datetime-local"> shows only a value written as
%Y-%m-%d, %H:%M or %Y-%m-%dT%H:%M, whatever the page's language. Form gives every date, time and
datetime field the matching widget below (DateInput, TimeInput, DateTimeInput) rendering in that
format, and lets the field read it back besides the localized formats people type (2026/12/06,
2026年12月6日 08:30). Datetimes are shown and read in the current time zone (TIME_ZONE), so an
unchanged form saves the same instant (tests/test_form_roundtrip.py submits every form page).
"""

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.utils import formats
from ninja import Schema
from pydantic import ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from openday.lib import text


def _is_password(field: forms.Field) -> bool:
    return isinstance(field.widget, forms.PasswordInput)


def _scrub_values(values: Iterable[Any], multiline: bool) -> tuple[list[Any], bool]:
    cleaned, found = [], False
    for value in values:
        if isinstance(value, str):
            value, bad = text.scrub(value, multiline=multiline)
            found = found or bad
        cleaned.append(value)
    return cleaned, found


def clean_post(
    data: Any, *, single_line: Collection[str] = (), keep: Collection[str] = ()
) -> tuple[Any, dict[str, str]]:
    """(a mutable copy of data with every string normalized, {key: reason} for the keys that
    held refused characters, which are removed from the copy). single_line: keys whose line
    breaks become spaces; keep: keys left as typed (passwords)."""
    problems = {}
    if hasattr(data, "lists"):
        cleaned = data.copy()
        for key, values in data.lists():
            if key in keep:
                continue
            values, found = _scrub_values(values, key not in single_line)
            cleaned.setlist(key, values)
            if found:
                problems[key] = text.FORM_CONTROL_MESSAGE
        return cleaned, problems
    cleaned = dict(data)
    for key, value in data.items():
        if key in keep:
            continue
        many = isinstance(value, list | tuple)
        values, found = _scrub_values(value if many else [value], key not in single_line)
        cleaned[key] = values if many else values[0]
        if found:
            problems[key] = text.FORM_CONTROL_MESSAGE
    return cleaned, problems


if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class CleanInputMixin(_FormBase):
    """Normalizes a bound form's data (openday.lib.text) before its fields clean it.

    What was typed stays on the re-rendered page in its normalized form; refused characters
    are removed from it and the field gets the reason, so the person sees why and resubmits."""

    def full_clean(self) -> None:
        if self.is_bound and not getattr(self, "_input_cleaned", False):
            names = {self.add_prefix(name): name for name in self.fields}
            fields = {key: self.fields[name] for key, name in names.items()}
            self.data, problems = clean_post(
                self.data,
                single_line={
                    k for k, f in fields.items() if not isinstance(f.widget, forms.Textarea)
                },
                keep={k for k, f in fields.items() if _is_password(f)},
            )
            self._input_cleaned = True
            self._input_problems = {names.get(key): message for key, message in problems.items()}
        super().full_clean()
        if hasattr(self, "cleaned_data"):
            for name, message in getattr(self, "_input_problems", {}).items():
                self.add_error(name, message)


# The formats an HTML date, time and datetime-local input reads and writes (its "value").
HTML_DATE = "%Y-%m-%d"
HTML_TIME = "%H:%M"
HTML_DATETIME = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """<input type="date"> with its value as %Y-%m-%d."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format or HTML_DATE)


class TimeInput(forms.TimeInput):
    """<input type="time"> with its value as %H:%M."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format or HTML_TIME)


class DateTimeInput(forms.DateTimeInput):
    """<input type="datetime-local"> with its value as %Y-%m-%dT%H:%M (in the current time
    zone: DateTimeField converts before and after)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format or HTML_DATETIME)


# field class -> (widget, what the input sends, the localized formats people type, and the
# Chinese spellings Django's zh-hans formats miss: 2026年12月6日 08:30)
_TEMPORAL: list[tuple[type[forms.Field], type[forms.Widget], list[str], list[str], list[str]]] = [
    (
        forms.DateTimeField,
        DateTimeInput,
        [HTML_DATETIME, "%Y-%m-%dT%H:%M:%S"],
        ["DATETIME_INPUT_FORMATS", "DATE_INPUT_FORMATS"],
        ["%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日"],
    ),
    (forms.DateField, DateInput, [HTML_DATE], ["DATE_INPUT_FORMATS"], ["%Y年%m月%d日"]),
    (forms.TimeField, TimeInput, [HTML_TIME, "%H:%M:%S"], ["TIME_INPUT_FORMATS"], ["%H时%M分"]),
]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def html_temporal_inputs(fields: Iterable[forms.Field]) -> None:
    """Gives each date, time and datetime field its HTML input (keeping the attributes it was
    declared with) and input formats: the input's own first, then the ones the field was
    declared with, then the localized ones. Hidden inputs keep rendering localized values,
    which the same formats read back."""
    for field in fields:
        for kind, widget_class, html_formats, localized, chinese in _TEMPORAL:
            if not isinstance(field, kind):
                continue
            widget = field.widget
            if not isinstance(widget, forms.HiddenInput | forms.MultiWidget):
                if not isinstance(widget, widget_class):
                    replacement = widget_class(attrs=widget.attrs)
                    replacement.is_required = widget.is_required
                    field.widget = replacement
            declared = vars(field).get("input_formats") or []
            temporal: Any = field  # a DateField, DateTimeField or TimeField
            temporal.input_formats = _unique(
                [
                    *html_formats,
                    *declared,
                    *(f for name in localized for f in formats.get_format(name)),
                    *chinese,
                ]
            )
            break


class HtmlTemporalMixin(_FormBase):
    """See html_temporal_inputs: every form's date, time and datetime fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        html_temporal_inputs(self.fields.values())


class Form(CleanInputMixin, HtmlTemporalMixin, forms.Form):
    """The base of every form in openday."""


def _clean_value(value: Any, multiline: bool) -> Any:
    if isinstance(value, str):
        return text.clean_text(value, multiline=multiline)
    if isinstance(value, dict):
        return {_clean_value(k, False): _clean_value(v, multiline) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_value(v, multiline) for v in value]
    return value


class InputSchema(Schema):
    """The base of every API input schema: every string, also inside lists and dicts, is
    normalized; refused characters answer 422 with CONTROL_MESSAGE for the field."""

    # Fields whose line breaks become spaces (names, phones, codes).
    single_line: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _normalize(cls, value: Any, info: ValidationInfo) -> Any:
        try:
            return _clean_value(value, info.field_name not in cls.single_line)
        except text.InputError as exc:
            raise PydanticCustomError("control_characters", str(exc)) from None
