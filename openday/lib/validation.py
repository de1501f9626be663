"""One way to show a ValidationError from a service: on a form, as {field: reason} for a page
that renders its own errors, or as the API's details list. Several messages for one field are
joined with "；"; errors not tied to a field go under "__all__" (forms: the form itself)."""

from django import forms
from django.core.exceptions import ValidationError

JOIN = "；"


def by_field(exc: ValidationError, names: dict[str, str] | None = None) -> dict[str, str]:
    """{field: reason}; names renames fields (e.g. to the API's field names)."""
    if not hasattr(exc, "error_dict"):
        return {"__all__": JOIN.join(exc.messages)}
    names = names or {}
    return {names.get(field, field): JOIN.join(errs) for field, errs in exc.message_dict.items()}


def details(exc: ValidationError, names: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The API's details: [{"field": …, "reason": …}] (capped where the answer is built)."""
    return [{"field": field, "reason": reason} for field, reason in by_field(exc, names).items()]


def apply_to_form(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put the messages on the form's fields; those for fields it lacks on the form itself."""
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)
