"""Base viewsets every app's API builds on: reads through `restrict`, writes through services.

The NetBox idiom: the HTTP method maps to an action (GET/HEAD/OPTIONS → view,
POST → add, PUT/PATCH → change, DELETE → delete); a method with no action is
refused. An object the user may not see is a 404 (no existence leak); an object
they can see but may not act on is a 403.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from apps.core.history import acting_user
from apps.core.permissions import Action

METHOD_ACTIONS: dict[str, str] = {
    "GET": Action.VIEW,
    "HEAD": Action.VIEW,
    "OPTIONS": Action.VIEW,
    "POST": Action.ADD,
    "PUT": Action.CHANGE,
    "PATCH": Action.CHANGE,
    "DELETE": Action.DELETE,
}


class RestrictedViewSetMixin:
    """Every object a viewset touches comes from `queryset.restrict(request.user, action)`.

    Subclasses set `queryset` (with the select_related/prefetch_related a list
    needs, so it runs a fixed number of queries) and may map custom viewset
    actions to permission actions in `action_permissions`, e.g. {"revoke": "change"}.
    """

    queryset: models.QuerySet
    action_permissions: dict[str, str] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Resolve the action now so an unmapped method is refused before any query runs.
        self.restrict_action = self.get_restrict_action()

    def get_restrict_action(self) -> str:
        """The permission action this request needs, from the viewset action or the HTTP method."""
        action = self.action_permissions.get(getattr(self, "action", None) or "")
        if action is None:
            action = METHOD_ACTIONS.get(self.request.method)
        if action is None:
            raise exceptions.MethodNotAllowed(self.request.method)
        return action

    def base_queryset(self) -> models.QuerySet:
        return self.queryset.all()

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return self.base_queryset().none()
        action = getattr(self, "restrict_action", None) or self.get_restrict_action()
        return self.base_queryset().restrict(self.request.user, action)

    def get_object(self):
        """The object if visible (else 404); a visible object the user may not act on is a 403."""
        # Look the object up among what the user can see, then check the action on it.
        queryset = self.filter_queryset(self.base_queryset().restrict(self.request.user, Action.VIEW))
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field
        obj = get_object_or_404(queryset, **{self.lookup_field: self.kwargs[lookup_url_kwarg]})
        if self.restrict_action != Action.VIEW and not self.user_may(obj, self.restrict_action):
            raise exceptions.PermissionDenied(f"You may not {self.restrict_action} this object.")
        self.check_object_permissions(self.request, obj)
        return obj

    def user_may(self, obj: models.Model, action: str) -> bool:
        """Whether the request's user may take `action` on `obj` (one query)."""
        return self.queryset.model.objects.restrict(self.request.user, action).filter(pk=obj.pk).exists()


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve, through `restrict`."""


class RestrictedModelViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Full CRUD: reads through `restrict`, writes through the app's services.

    Subclasses implement the service hooks `create_object`, `update_object` and
    `delete_object`; each runs with history attributed to the API user. A
    subclass with no hook for a write leaves that method out of
    `http_method_names`.
    """

    def create_object(self, *, data: dict[str, Any]) -> models.Model:
        raise exceptions.MethodNotAllowed(self.request.method)

    def update_object(self, *, instance: models.Model, data: dict[str, Any]) -> models.Model:
        raise exceptions.MethodNotAllowed(self.request.method)

    def delete_object(self, *, instance: models.Model) -> None:
        raise exceptions.MethodNotAllowed(self.request.method)

    def check_create_permission(self, data: dict[str, Any]) -> None:
        """Refuse a create the user may not make; serializers validate the owning team."""

    def perform_create(self, serializer) -> None:
        self.check_create_permission(serializer.validated_data)
        with acting_user(self.request.user):
            serializer.instance = self.create_object(data=serializer.validated_data)

    def perform_update(self, serializer) -> None:
        with acting_user(self.request.user):
            serializer.instance = self.update_object(
                instance=serializer.instance, data=serializer.validated_data
            )

    def perform_destroy(self, instance) -> None:
        with acting_user(self.request.user):
            self.delete_object(instance=instance)

    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
