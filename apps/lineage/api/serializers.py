"""API representation of lineage edges."""

from __future__ import annotations

from django.http import Http404
from rest_framework import serializers

from apps.lineage.models import Edge
from apps.lineage.selectors import asset_get_by_key


class ColumnEdgeSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=300, source="source_column")
    target = serializers.CharField(max_length=300, source="target_column")
    transformation = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AssetKeyField(serializers.CharField):
    """An asset named `<app_label>.<model>:<id>`, e.g. `catalog.dataset:12`; must be visible to the user."""

    def to_internal_value(self, data):
        key = super().to_internal_value(data)
        if len(key) > 120:
            raise serializers.ValidationError("An asset key has at most 120 characters.")
        try:
            return asset_get_by_key(user=self.context["request"].user, key=key)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        except Http404:
            raise serializers.ValidationError(f"No asset {key} that you can see.") from None

    def get_attribute(self, instance):
        end = self.field_name  # "source" or "target"
        content_type = getattr(instance, f"{end}_type")
        return f"{content_type.app_label}.{content_type.model}:{getattr(instance, f'{end}_id')}"

    def to_representation(self, value):
        return value


class EdgeSerializer(serializers.ModelSerializer):
    """An edge between two assets; people draw `user` edges, producers record the others."""

    source = AssetKeyField(help_text="Upstream asset, e.g. catalog.dataset:12.")
    target = AssetKeyField(help_text="Downstream asset, e.g. catalog.dataset:13.")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    columns = ColumnEdgeSerializer(many=True, required=False)

    class Meta:
        model = Edge
        fields = [
            "id", "source", "target", "transformation", "description", "provenance", "created_by",
            "producer", "facets", "columns", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["provenance", "producer", "facets", "created_at", "updated_at"]
        validators = []  # uniqueness of drawn edges is the service's rule, reported on `target`

    def validate(self, attrs):
        if self.instance is not None:
            moved = {name for name in ("source", "target", "columns") if name in attrs}
            if moved:
                raise serializers.ValidationError(
                    dict.fromkeys(moved, "An edge's ends and columns cannot be changed; draw a new edge.")
                )
        return attrs
