"""`{% openlineage_quality dataset %}`: the data-quality facets OpenLineage runs reported, as a small card."""

from django import template

from apps.catalog.openlineage.selectors import dataset_quality_latest

register = template.Library()


@register.inclusion_tag("catalog/openlineage/_quality_card.html", takes_context=True)
def openlineage_quality(context, dataset):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"quality": dataset_quality_latest(user=user, dataset=dataset) if user else None}
