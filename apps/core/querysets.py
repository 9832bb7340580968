"""The one permission rule: `Model.objects.restrict(user, action)`.

Combines, for a team-owned model:
- membership of the owning team, where the member's role allows the action;
- visibility: `internal` assets are viewable by every signed-in user;
- explicit django-guardian grants (direct-FK tables) to the user or to a team
  the user belongs to (a team acts through its auth Group);
- superusers, who may do everything.
Anonymous users get nothing.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models import Q

from apps.core.permissions import Action, roles_allowed


def member_team_ids(user, action: str) -> models.QuerySet:
    """Ids of the teams where `user` holds a role allowing `action` (a subquery, not a list)."""
    membership = apps.get_model("teams", "Membership")
    return membership.objects.filter(user_id=user.pk, role__in=roles_allowed(action)).values("team_id")


def grant_models(model: type[models.Model]) -> tuple[type[models.Model] | None, type[models.Model] | None]:
    """The direct-FK guardian grant tables declared for `model` (user, group), if any."""
    return getattr(model, "user_grant_model", None), getattr(model, "group_grant_model", None)


def granted_ids(model: type[models.Model], user, action: str) -> Q:
    """Q matching rows `user` was granted `action` on, directly or through a team's group."""
    user_grants, group_grants = grant_models(model)
    codename = f"{action}_{model._meta.model_name}"
    condition = Q(pk__in=[])
    if user_grants is not None:
        condition |= Q(
            pk__in=user_grants.objects.filter(user_id=user.pk, permission__codename=codename).values(
                "content_object_id"
            )
        )
    if group_grants is not None:
        condition |= Q(
            pk__in=group_grants.objects.filter(group__user__id=user.pk, permission__codename=codename).values(
                "content_object_id"
            )
        )
    return condition


class RestrictedQuerySet(models.QuerySet):
    """QuerySet for team-owned assets; every read path calls `restrict`."""

    team_field = "team"

    def restrict(self, user, action: str = Action.VIEW) -> RestrictedQuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        condition = Q(**{f"{self.team_field}_id__in": member_team_ids(user, action)})
        if action == Action.VIEW and hasattr(self.model, "visibility"):
            condition |= Q(visibility="internal")
        condition |= granted_ids(self.model, user, action)
        return self.filter(condition)


class InheritedRestrictQuerySet(models.QuerySet):
    """For parts of an asset (versions, columns, profiles): visible exactly when the parent is.

    The model names the path to its parent in `restrict_through` (default "dataset").
    """

    def restrict(self, user, action: str = Action.VIEW) -> InheritedRestrictQuerySet:
        path = getattr(self.model, "restrict_through", "dataset")
        parent_model = self.model
        for part in path.split("__"):
            parent_model = parent_model._meta.get_field(part).related_model
        return self.filter(**{f"{path}__in": parent_model.objects.restrict(user, action).values("pk")})
