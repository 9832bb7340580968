"""`restrict` for lineage: an edge is visible when both of its ends are.

Each end is checked against its own asset type's `restrict`, found through the
asset registry, so the rule stays the one every app already follows.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from apps.core.assets import asset_types
from apps.core.permissions import Action


def visible_end(prefix: str, user, action: str = Action.VIEW) -> Q:
    """Q matching edges whose `prefix` end ("source" or "target") `user` may take `action` on."""
    condition = Q(pk__in=[])
    for registered in asset_types():
        model = registered.model
        if not hasattr(model.objects, "restrict"):
            continue
        content_type = ContentType.objects.get_for_model(model)
        condition |= Q(
            **{
                f"{prefix}_type_id": content_type.pk,
                f"{prefix}_id__in": model.objects.restrict(user, action).values("pk"),
            }
        )
    return condition


class EdgeQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW) -> EdgeQuerySet:
        """View: both ends visible. Any other action: both visible and `action` allowed on one end.

        Drawing or removing an edge changes the lineage of both assets, so the
        right to change either end (and to see the other) is enough.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        visible = self.filter(visible_end("source", user)).filter(visible_end("target", user))
        if action == Action.VIEW:
            return visible
        return visible.filter(visible_end("source", user, action) | visible_end("target", user, action))


class InheritedEdgeQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW) -> InheritedEdgeQuerySet:
        """Column edges are visible exactly when their edge is."""
        from apps.lineage.models import Edge

        return self.filter(edge__in=Edge.objects.restrict(user, action).values("pk"))
