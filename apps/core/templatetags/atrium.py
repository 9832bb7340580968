"""Template helpers shared by every app."""

from __future__ import annotations

from django import forms, template
from django.http import QueryDict
from django.utils.safestring import mark_safe

from apps.core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitized by nh3


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def humanize_name(value: str) -> str:
    """`profile_dataset` → `Profile dataset`: code names made readable."""
    text = str(value or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def is_checkbox(bound_field) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def bootstrap_widget(bound_field):
    """Render a form field's widget with Tabler classes, marked invalid when it has errors."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": css}
    if bound_field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound_field.auto_id}_errors"
    return bound_field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None or "" removes one)."""
    request = context.get("request")
    query: QueryDict = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.inclusion_tag("includes/sort_header.html", takes_context=True)
def sort_header(context, label: str, key: str) -> dict:
    """A sortable column heading: toggles between ascending and descending on `key`."""
    request = context.get("request")
    current = request.GET.get("sort", "") if request is not None else ""
    if current == key:
        next_sort, direction = f"-{key}", "asc"
    elif current == f"-{key}":
        next_sort, direction = key, "desc"
    else:
        next_sort, direction = key, ""
    return {"request": request, "label": label, "next_sort": next_sort, "direction": direction}


HISTORY_TYPES = {
    "+": ("created", "plus", "success"),
    "~": ("changed", "edit", "azure"),
    "-": ("deleted", "trash", "danger"),
}


@register.filter
def history_verb(history_type: str) -> str:
    return HISTORY_TYPES.get(history_type, ("changed", "", ""))[0]


@register.filter
def history_icon(history_type: str) -> str:
    return HISTORY_TYPES.get(history_type, ("", "edit", ""))[1]


@register.filter
def history_colour(history_type: str) -> str:
    return HISTORY_TYPES.get(history_type, ("", "", "secondary"))[2]


@register.filter
def display_value(value) -> str:
    """A history value for people: empty becomes an em dash, booleans become yes/no."""
    if value is None or value == "":
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)
