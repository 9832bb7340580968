"""The dataset header's sign of temporary access: "Your access ends on …", linking to the request."""

from django import template

from apps.catalog.selectors.access import temporary_access_of

register = template.Library()


@register.inclusion_tag("catalog/_temporary_access.html", takes_context=True)
def temporary_access_badge(context, dataset):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"access_request": temporary_access_of(user=user, dataset=dataset) if user else None}
