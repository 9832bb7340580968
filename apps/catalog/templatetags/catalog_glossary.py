"""The dataset side panel's tags and glossary terms (the terms through `restrict`)."""

from django import template

from apps.catalog.selectors.glossary import dataset_labels

register = template.Library()


@register.inclusion_tag("catalog/tags_panel.html", takes_context=True)
def dataset_tags_panel(context, dataset, can_change=False):
    """Tags and the terms the viewer may see, linking to their pages; an edit link for editors."""
    request = context.get("request")
    labels = dataset_labels(user=request.user, dataset=dataset)
    return {"dataset": dataset, "can_change": can_change, **labels}
