"""Follows over REST: the caller's own, of what they may still see; follow by target key, unfollow by id."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.community import selectors, services
from apps.community.models import Follow
from apps.core.api.viewsets import RestrictedModelViewSet


class FollowSerializer(serializers.ModelSerializer):
    """What the caller follows: `target` as "app_label.model:id" (e.g. "catalog.dataset:12")."""

    target = serializers.CharField(
        help_text='e.g. "catalog.dataset:12", "community.thread:3", "teams.team:2"'
    )
    target_type = serializers.SerializerMethodField()
    target_name = serializers.SerializerMethodField()
    target_url = serializers.SerializerMethodField()

    class Meta:
        model = Follow
        fields = ["id", "target", "target_type", "target_name", "target_url", "created_at"]
        read_only_fields = ["created_at"]

    def to_representation(self, follow: Follow) -> dict:
        data = super().to_representation(follow)
        data["target"] = selectors.follow_key(follow.target) if follow.target is not None else None
        return data

    @extend_schema_field(OpenApiTypes.STR)
    def get_target_type(self, follow: Follow) -> str:
        return selectors.follow_target_label(follow)[0]

    @extend_schema_field(OpenApiTypes.STR)
    def get_target_name(self, follow: Follow) -> str:
        return str(follow.target) if follow.target is not None else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_target_url(self, follow: Follow) -> str:
        target = follow.target
        return target.get_absolute_url() if target is not None and hasattr(target, "get_absolute_url") else ""

    def validate_target(self, key: str):
        from django.http import Http404

        try:
            return selectors.follow_target_get(user=self.context["request"].user, key=key)
        except Http404:
            raise serializers.ValidationError("Nothing to follow by that name.") from None


class FollowViewSet(RestrictedModelViewSet):
    """The caller's follows, newest first; POST {"target": …} follows (idempotent), DELETE unfollows."""

    queryset = Follow.objects.select_related("target_type").prefetch_related("target")
    serializer_class = FollowSerializer
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    # Following and unfollowing are the caller's acts on their own rows: `restrict` keeps them theirs.
    action_permissions = {"create": "view", "destroy": "view"}

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        target_type = self.request.query_params.get("target_type", "")
        if target_type:
            app_label, _, model = target_type.partition(".")
            queryset = queryset.filter(target_type__app_label=app_label, target_type__model=model)
        return queryset

    def create_object(self, *, data):
        return services.follow_create(user=self.request.user, target=data["target"])

    def delete_object(self, *, instance) -> None:
        services.follow_delete(user=self.request.user, target=instance.target)
