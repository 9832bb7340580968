"""API representations of teams, memberships, the current user and tokens."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.markdown import render_markdown
from apps.core.permissions import ROLE_ACTIONS, Action
from apps.teams.models import Membership, PersonalAccessToken, Team


class TeamSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="team-detail", lookup_field="slug")
    description_html = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = [
            "id", "url", "slug", "name", "kind", "description", "description_html",
            "member_count", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["slug"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_description_html(self, team: Team) -> str:
        return render_markdown(team.description)


class TeamBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "slug", "name"]


class UserBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "first_name", "last_name"]


class MembershipSerializer(serializers.ModelSerializer):
    """Create with team slug, username and role; afterwards only the role changes."""

    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )
    team_name = serializers.CharField(source="team.name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "team", "team_name", "user", "role", "role_display", "created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate() with a clearer message

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["team"].read_only = True
            fields["user"].read_only = True
        return fields

    def validate(self, attrs):
        if (
            self.instance is None
            and Membership.objects.filter(team=attrs["team"], user=attrs["user"]).exists()
        ):
            raise serializers.ValidationError(
                {
                    "user": [
                        "This user is already a member of this team; change the membership's role instead."
                    ]
                }
            )
        return attrs


class MyMembershipSerializer(serializers.ModelSerializer):
    team = TeamBriefSerializer(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["team", "role", "role_display", "actions"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Action.choices)))
    def get_actions(self, membership: Membership) -> list[str]:
        allowed = ROLE_ACTIONS.get(membership.role, frozenset())
        return [action for action in Action.values if action in allowed]


class MeSerializer(serializers.ModelSerializer):
    memberships = MyMembershipSerializer(many=True, read_only=True)

    class Meta:
        model = get_user_model()
        fields = [
            "id", "username", "first_name", "last_name", "email", "is_staff", "is_superuser",
            "last_login", "memberships",
        ]  # fmt: skip
        read_only_fields = fields


TOKEN_STATUSES = [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]


def token_status(token: PersonalAccessToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    return "active"


class PersonalAccessTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its digest, never the token itself."""

    status = serializers.SerializerMethodField()

    class Meta:
        model = PersonalAccessToken
        fields = ["id", "name", "prefix", "status", "created_at", "last_used_at", "expires_at", "revoked_at"]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]

    @extend_schema_field(serializers.ChoiceField(choices=TOKEN_STATUSES))
    def get_status(self, token: PersonalAccessToken) -> str:
        return token_status(token)

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry must be in the future.")
        return value


class PersonalAccessTokenCreatedSerializer(PersonalAccessTokenSerializer):
    """The answer to creating a token: the only time the raw token is shown."""

    token = serializers.CharField(read_only=True, help_text="The token itself. It is shown only this once.")

    class Meta(PersonalAccessTokenSerializer.Meta):
        fields = [*PersonalAccessTokenSerializer.Meta.fields, "token"]
