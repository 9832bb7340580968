"""Registered models and versions over REST (read), plus setting an alias; every read through `restrict`."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Max, Prefetch
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import RestrictedReadOnlyViewSet
from apps.core.models import Visibility
from apps.core.permissions import Action
from apps.registry import services
from apps.registry.api.serializers import (
    AliasSetSerializer,
    ModelVersionSerializer,
    RegisteredModelSerializer,
)
from apps.registry.models import ModelAlias, ModelVersion, RegisteredModel


class RegisteredModelFilterSet(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug", help_text="Owning team's slug.")
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices)
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Name contains (case-insensitive).")

    class Meta:
        model = RegisteredModel
        fields = ["team", "visibility", "name"]


class RegisteredModelViewSet(RestrictedReadOnlyViewSet):
    """Registered models the user may see; POST …/aliases/ points an alias at a version (change)."""

    queryset = (
        RegisteredModel.objects.select_related("team")
        .annotate(version_count=Count("versions", distinct=True), latest_version=Max("versions__version"))
        .prefetch_related(
            "tags",
            Prefetch(
                "aliases", queryset=ModelAlias.objects.select_related("model_version").order_by("alias")
            ),
        )
    )
    serializer_class = RegisteredModelSerializer
    filterset_class = RegisteredModelFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name", "id"]
    search_fields = ["name", "description"]
    action_permissions = {"aliases": Action.CHANGE}

    @extend_schema(request=AliasSetSerializer, responses=RegisteredModelSerializer)
    @action(detail=True, methods=["post"])
    def aliases(self, request, pk=None):
        """Point an alias at one of the model's versions (moving it is recorded in the history)."""
        model = self.get_object()
        serializer = AliasSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.model_alias_set(
            registered_model=model,
            by=request.user,
            alias=serializer.validated_data["alias"],
            version=serializer.validated_data["version"],
        )
        fresh = self.get_queryset().get(pk=model.pk)
        return Response(self.get_serializer(fresh).data)


class ModelVersionViewSet(RestrictedReadOnlyViewSet):
    """A visible model's versions, newest first (404 when the model is not visible)."""

    queryset = ModelVersion.objects.select_related(
        "registered_model", "logged_model", "created_by"
    ).prefetch_related("tags", "aliases")
    serializer_class = ModelVersionSerializer
    lookup_field = "version"
    lookup_value_regex = r"\d+"
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not getattr(self, "swagger_fake_view", False):
            visible = RegisteredModel.objects.restrict(request.user, Action.VIEW).filter(
                pk=kwargs.get("model_pk")
            )
            if not visible.exists():
                raise Http404("No such registered model.")

    def base_queryset(self):
        return self.queryset.filter(registered_model_id=self.kwargs.get("model_pk")).order_by("-version")
