from django import template

register = template.Library()

STATUS_CLASSES = {
    "queued": "bg-secondary-lt",
    "running": "bg-blue-lt",
    "succeeded": "bg-green-lt",
    "failed": "bg-red-lt",
    "cancelled": "bg-yellow-lt",
}
BAR_CLASSES = {"succeeded": "bg-green", "failed": "bg-red", "cancelled": "bg-yellow"}


@register.filter
def job_status_class(status: str) -> str:
    """Badge colours per status, the same on every page."""
    return STATUS_CLASSES.get(status, "bg-secondary-lt")


@register.filter
def job_bar_class(status: str) -> str:
    return BAR_CLASSES.get(status, "")
