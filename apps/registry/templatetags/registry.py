"""`{% register_from_run run %}`: the run page's "Register this model" card (2 queries)."""

from django import template

from apps.registry import selectors

register = template.Library()


@register.inclusion_tag("registry/_register_from_run.html", takes_context=True)
def register_from_run(context, run) -> dict:
    user = context["request"].user
    return {
        "run": run,
        "sources": selectors.run_model_sources(run=run),
        "registrations": selectors.run_registrations(user=user, run=run),
        "checked": True,
    }
