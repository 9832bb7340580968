"""Template helpers for the experiment pages: MLflow times, durations, metric values, status badges."""

from __future__ import annotations

import math

from django import template

from apps.experiments.selectors.pages import ms_to_datetime

register = template.Library()

STATUS_COLOURS = {
    "FINISHED": "green",
    "RUNNING": "blue",
    "SCHEDULED": "secondary",
    "FAILED": "red",
    "KILLED": "orange",
}
STATUS_ICONS = {
    "FINISHED": "circle-check",
    "RUNNING": "loader-2",
    "SCHEDULED": "clock",
    "FAILED": "circle-x",
    "KILLED": "player-stop",
}


@register.filter
def ms_datetime(value):
    """MLflow's milliseconds since the epoch as a datetime (for the `date` and `naturaltime` filters)."""
    try:
        return ms_to_datetime(int(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def format_duration(milliseconds: float | None) -> str:
    if milliseconds is None or milliseconds < 0:
        return "—"
    seconds = milliseconds / 1000
    if seconds < 1:
        return f"{int(milliseconds)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


@register.filter
def run_duration(run) -> str:
    """How long a run took (or has been running, shown as such), e.g. "2 min 13 s"."""
    if not run.start_time:
        return "—"
    if run.end_time:
        return format_duration(run.end_time - run.start_time)
    return "—"


@register.filter
def metric_value(value) -> str:
    """A metric for people: 4 significant digits (the exact value is in the cell's title), NaN and ±∞."""
    if value is None or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number) or abs(number) >= 1.7e308:
        return "∞" if number > 0 else "−∞"
    if number == int(number) and abs(number) < 1e12:
        return f"{int(number):,}"
    return f"{number:.4g}"


@register.filter
def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(str(status), "secondary")


@register.filter
def status_icon(status: str) -> str:
    return STATUS_ICONS.get(str(status), "circle")


@register.filter
def clip(value, length: int) -> str:
    """`value` cut to `length` characters with an ellipsis (a cheap truncatechars for big tables)."""
    text = "" if value is None else str(value)
    return text if len(text) <= length else text[: max(length - 1, 0)] + "…"


@register.filter
def short_id(value: str) -> str:
    """The first 8 characters of a run id, as MLflow shows them."""
    return str(value or "")[:8]


@register.inclusion_tag("experiments/_run_status.html")
def run_status(status: str, label: str = "") -> dict:
    """A status badge with its colour and icon."""
    return {
        "status": status,
        "label": label or str(status).capitalize(),
        "colour": status_colour(status),
        "icon": status_icon(status),
    }


@register.simple_tag
def training_link(experiment=None) -> str:
    """The "Train a model" form's URL for this experiment, or "" until training exists."""
    from apps.experiments.views.experiments import training_url

    return training_url(experiment)


@register.filter
def ago(value) -> str:
    """A short relative time, one unit deep: "3 hours ago", "2 days ago", "just now"."""
    if not value:
        return "—"
    from django.utils import timezone
    from django.utils.timesince import timesince

    if value > timezone.now():
        return "just now"
    text = timesince(value, depth=1)
    return "just now" if text.startswith("0\xa0") else f"{text} ago"
