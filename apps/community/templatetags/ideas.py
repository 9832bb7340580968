"""Template tags of the idea board: what an idea's header needs to know about its reader.

{% load ideas %}
{% idea_reader idea as reader %}   {# sets idea.has_voted if the view did not; reader.can_edit #}

The header is included by pages of other areas too (the Discussion and Activity tabs), which
load the idea without the reader's vote: the tag fills it in (one query each, only when missing).
"""

from __future__ import annotations

from django import template

from apps.community.models import IdeaVote
from apps.community.services.ideas import idea_user_may_edit

register = template.Library()


@register.simple_tag(takes_context=True)
def idea_reader(context, idea) -> dict:
    """The reader's vote (set on the idea for the vote button) and whether they may edit it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_edit": False}
    if not hasattr(idea, "has_voted"):
        idea.has_voted = IdeaVote.objects.filter(idea_id=idea.pk, user_id=user.pk).exists()
    can_edit = context.get("can_edit")
    if can_edit is None:
        can_edit = idea_user_may_edit(user=user, idea=idea)
    return {"can_edit": bool(can_edit)}
