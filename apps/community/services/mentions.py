"""Mentions: who `@name` reaches. `@username` is one person, `@team-slug` every member of the team.

Whether they hear of it is decided by `notify`, which drops anyone who may not see the thread.
How mentions render for a reader lives in `apps.community.markup` and the discussion selectors.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower


def mentioned_people(names: Iterable[str]) -> tuple[list, dict]:
    """Active users named directly, and {team: [members]} for names that are team slugs (users first)."""
    from apps.teams.models import Membership, Team

    names = {name.lower() for name in names}
    if not names:
        return [], {}
    users = list(
        get_user_model().objects.annotate(lowered=Lower("username")).filter(lowered__in=names, is_active=True)
    )
    left = names - {user.username.lower() for user in users}
    teams: dict = {}
    if left:
        for team in Team.objects.filter(slug__in=left):
            teams[team] = []
        if teams:
            for membership in Membership.objects.filter(
                team__in=list(teams), user__is_active=True
            ).select_related("user", "team"):
                teams[membership.team].append(membership.user)
    return users, teams
