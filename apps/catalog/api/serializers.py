"""API representation of datasets."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.models import Dataset
from apps.core.markdown import render_markdown
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids
from apps.teams.models import Team


class DatasetSerializer(serializers.ModelSerializer):
    """A dataset; `team` (a slug) is chosen on create, among teams where the user may add assets."""

    url = serializers.HyperlinkedIdentityField(view_name="dataset-detail")
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        error_messages={"does_not_exist": "No team has the slug {value}."},
    )
    team_name = serializers.CharField(source="team.name", read_only=True)
    description_html = serializers.SerializerMethodField()

    class Meta:
        model = Dataset
        fields = [
            "id", "url", "name", "slug", "team", "team_name", "visibility", "domain",
            "description", "description_html", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["slug"]
        validators = []  # the slug is derived, so (team, slug) uniqueness is the service's job

    @extend_schema_field(OpenApiTypes.STR)
    def get_description_html(self, dataset: Dataset) -> str:
        return render_markdown(dataset.description)

    def validate_team(self, team: Team) -> Team:
        if self.instance is not None:
            if team.pk != self.instance.team_id:
                raise serializers.ValidationError("A dataset's team cannot be changed.")
            return team
        user = self.context["request"].user
        may_add = (
            user.is_superuser
            or Team.objects.filter(pk=team.pk, pk__in=member_team_ids(user, Action.ADD)).exists()
        )
        if not may_add:
            raise serializers.ValidationError(
                "You are not a member of this team with the right to create datasets."
            )
        return team
