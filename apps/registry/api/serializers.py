"""API representation of registered models and their versions."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.markdown import render_markdown
from apps.registry.models import ModelVersion, RegisteredModel


class ModelAliasSerializer(serializers.Serializer):
    alias = serializers.CharField()
    version = serializers.IntegerField(source="model_version.version")


class RegisteredModelSerializer(serializers.ModelSerializer):
    """A registered model with its tags, aliases, version count and latest version number."""

    url = serializers.HyperlinkedIdentityField(view_name="registered-model-detail")
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    description_html = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    aliases = ModelAliasSerializer(many=True, read_only=True)
    version_count = serializers.IntegerField(read_only=True)
    latest_version = serializers.IntegerField(read_only=True, allow_null=True)
    versions_url = serializers.SerializerMethodField()

    class Meta:
        model = RegisteredModel
        fields = [
            "id", "url", "name", "team", "team_name", "visibility", "description", "description_html",
            "tags", "aliases", "version_count", "latest_version", "versions_url", "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.STR)
    def get_description_html(self, model: RegisteredModel) -> str:
        return render_markdown(model.description)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_tags(self, model: RegisteredModel) -> dict:
        return {tag.key: tag.value for tag in model.tags.all()}

    @extend_schema_field(OpenApiTypes.URI)
    def get_versions_url(self, model: RegisteredModel) -> str:
        request = self.context.get("request")
        path = f"/api/v1/registered-models/{model.pk}/versions/"
        return request.build_absolute_uri(path) if request else path


class ModelVersionSerializer(serializers.ModelSerializer):
    """One version: where it comes from (source, run, logged model), its stage, aliases and tags."""

    model = serializers.CharField(source="registered_model.name", read_only=True)
    run_id = serializers.CharField(source="run_uuid", read_only=True)
    logged_model_id = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    aliases = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    description_html = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = [
            "version", "model", "status", "current_stage", "source", "storage_location", "run_id",
            "logged_model_id", "description", "description_html", "tags", "aliases", "created_by",
            "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.STR)
    def get_logged_model_id(self, version: ModelVersion) -> str | None:
        return version.logged_model.model_id if version.logged_model_id else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_tags(self, version: ModelVersion) -> dict:
        return {tag.key: tag.value for tag in version.tags.all()}

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_aliases(self, version: ModelVersion) -> list[str]:
        return sorted(alias.alias for alias in version.aliases.all())

    @extend_schema_field(OpenApiTypes.STR)
    def get_description_html(self, version: ModelVersion) -> str:
        return render_markdown(version.description)


class AliasSetSerializer(serializers.Serializer):
    alias = serializers.CharField(max_length=250, help_text="e.g. champion; loads as models:/<name>@<alias>.")
    version = serializers.IntegerField(min_value=1)
