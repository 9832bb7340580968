"""Reads for the team pages. Teams are an organisation-wide directory; their assets are restricted."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404

from apps.core.activity import activity_recent
from apps.core.permissions import Action, Role
from apps.core.selectors import ActivityItem, team_owned_asset_types
from apps.teams.models import Membership, Team


def team_list(*, user) -> QuerySet[Team]:
    """Every team the user may see, with its member count and the user's own role (one query)."""
    my_role = Membership.objects.filter(team=OuterRef("pk"), user_id=user.pk).values("role")[:1]
    return (
        Team.objects.restrict(user, Action.VIEW)
        .annotate(member_count=Count("memberships", distinct=True), my_role=Subquery(my_role))
        .order_by("name")
    )


def team_get(*, user, slug: str) -> Team:
    """The team with `slug` if the user may see it, else 404."""
    team = Team.objects.restrict(user, Action.VIEW).filter(slug=slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


def team_user_may_manage(*, user, team: Team) -> bool:
    """Whether `user` may add, change and remove the team's members (its data officers, superusers)."""
    return Team.objects.restrict(user, Action.MANAGE).filter(pk=team.pk).exists()


def team_members(*, team: Team) -> list[Membership]:
    """The team's memberships with their users, data officers first."""
    memberships = list(Membership.objects.filter(team=team).select_related("user"))
    order = {Role.DATA_OFFICER: 0}
    for index, role in enumerate(Role.values, start=1):
        order.setdefault(role, index)
    memberships.sort(key=lambda m: (order.get(m.role, 99), m.user.get_username()))
    return memberships


@dataclass
class TeamAssetGroup:
    label: str
    icon: str
    items: list


def team_assets(*, user, team: Team, limit: int = 50) -> list[TeamAssetGroup]:
    """The team's assets the viewer may see, per registered asset type (one query per type)."""
    groups = []
    for asset in team_owned_asset_types():
        rows = list(
            asset.model.objects.restrict(user, Action.VIEW)
            .filter(team=team)
            .order_by(*(asset.model._meta.ordering or ["pk"]))[:limit]
        )
        groups.append(TeamAssetGroup(label=asset.label, icon=asset.icon, items=rows))
    return groups


def team_activity(*, user, team: Team, limit: int = 20) -> list[ActivityItem]:
    """Recent changes to the team, its members and the assets of it the viewer may see."""
    return activity_recent(user=user, team_ids=[team.pk], limit=limit)


def team_role_count(*, team: Team, role: str) -> int:
    return Membership.objects.filter(team=team, role=role).count()


# --- which team a new asset goes to (experiments and registered models created by a client) ---
TEAM_TAG = "atrium.team"


def team_for_new_asset(*, user, tags=None) -> Team:
    """The team a new asset of `user` belongs to: the `atrium.team` tag (a slug), else their team.

    Without the tag: the user's only team, else the first (by name) of their teams whose role may
    add assets. Raises ValidationError for an unknown slug or a user without a team, and
    PermissionDenied when the user's role may not add assets to the chosen team. Teams are a
    directory everyone may read, so naming one reveals nothing.
    """
    from django.core.exceptions import PermissionDenied, ValidationError

    from apps.core.querysets import member_team_ids

    slug = (dict(tags or {}).get(TEAM_TAG) or "").strip()
    may_add = (
        Team.objects.all()
        if user.is_superuser
        else Team.objects.filter(pk__in=member_team_ids(user, Action.ADD))
    )
    if slug:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise ValidationError(f"No team has the slug '{slug}' (tag {TEAM_TAG}).", code="invalid")
        if not may_add.filter(pk=team.pk).exists():
            raise PermissionDenied(f"Your role in {team.name} may not add assets to it.")
        return team
    own = list(Team.objects.filter(memberships__user_id=user.pk).order_by("name")[:2])
    if len(own) == 1:
        if not may_add.filter(pk=own[0].pk).exists():
            raise PermissionDenied(f"Your role in {own[0].name} may not add assets to it.")
        return own[0]
    team = may_add.filter(memberships__user_id=user.pk).order_by("name").first()
    if team is not None:
        return team
    if own:
        raise PermissionDenied("None of your roles may add assets to your teams.")
    raise ValidationError(
        f"You belong to no team: set the {TEAM_TAG} tag to the slug of the team that should own it.",
        code="invalid",
    )
