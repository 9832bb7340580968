"""Template tags any asset page uses to join the community in one line each.

{% load community %}
{% discussion_tab dataset active_tab %}   {# the "Discussion (n)" tab, in a page's nav-tabs #}
{% discussion_button term %}              {# the same as a button, for pages without tabs #}
{% follow_button dataset %}               {# Follow / Following with the follower count (htmx) #}
"""

from __future__ import annotations

from django import template

from apps.community import selectors

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("community/_discussion_tab.html", takes_context=True)
def discussion_tab(context, asset, active_tab: str = "") -> dict:
    """A nav-tabs item linking to the asset's discussions, with how many the person may see (one query)."""
    return {
        "url": selectors.asset_discussion_url(asset),
        "count": selectors.thread_count_on(user=_user(context), asset=asset),
        "active": active_tab == "discussion",
    }


@register.inclusion_tag("community/_discussion_button.html", takes_context=True)
def discussion_button(context, asset) -> dict:
    """A "Discussion (n)" button for asset pages without tabs (one query)."""
    return {
        "url": selectors.asset_discussion_url(asset),
        "count": selectors.thread_count_on(user=_user(context), asset=asset),
    }


@register.inclusion_tag("community/_follow_button.html", takes_context=True)
def follow_button(context, target) -> dict:
    """Follow / Following for any followable object (an asset, a thread, a category, a team): two queries."""
    return {
        "follow_target": target,
        "follow_key": selectors.follow_key(target),
        "is_following": selectors.is_following(user=_user(context), target=target),
        "follower_count": selectors.follower_count(target=target),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.filter
def kind_badge(kind: str) -> str:
    """The Tabler colour of a thread kind's badge."""
    return {
        "question": "azure",
        "idea": "yellow",
        "announcement": "purple",
        "incident": "red",
        "general": "secondary",
    }.get(kind, "secondary")


@register.simple_tag(takes_context=True)
def discussion_counts(context, assets) -> dict:
    """{asset pk: visible thread count} for a list of assets of one type, in one query:
    `{% discussion_counts columns as counts %}` then `{{ counts|get_item:column.pk }}`."""
    return selectors.thread_counts_on(user=_user(context), assets=list(assets))


@register.simple_tag
def discussion_url(asset) -> str:
    """The URL of an asset's Discussion tab."""
    return selectors.asset_discussion_url(asset)
