"""Teams, memberships, the current user and personal access tokens over REST."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import RestrictedModelViewSet, RestrictedViewSetMixin
from apps.core.permissions import Action
from apps.teams import services
from apps.teams.api import filtersets, serializers
from apps.teams.models import Membership, PersonalAccessToken, Team


class TeamViewSet(RestrictedModelViewSet):
    """Teams: every signed-in user may list them; superusers create; the team's data officer edits."""

    queryset = Team.objects.annotate(member_count=Count("memberships"))
    serializer_class = serializers.TeamSerializer
    filterset_class = filtersets.TeamFilterSet
    lookup_field = "slug"
    ordering_fields = ["name", "slug", "kind", "created_at"]
    ordering = ["name"]
    search_fields = ["name", "description"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def check_create_permission(self, data) -> None:
        if not self.request.user.is_superuser:
            raise exceptions.PermissionDenied("Only an administrator may create teams.")

    def create_object(self, *, data):
        team = services.team_create(by=self.request.user, **data)
        team.member_count = 0
        return team

    def update_object(self, *, instance, data):
        team = services.team_update(team=instance, by=self.request.user, **data)
        return team


class MembershipViewSet(RestrictedModelViewSet):
    """Who holds which role in which team; the team's data officer adds, changes and removes."""

    queryset = Membership.objects.select_related("team", "user")
    serializer_class = serializers.MembershipSerializer
    filterset_class = filtersets.MembershipFilterSet
    ordering_fields = ["created_at", "role", "team__name", "user__username"]
    ordering = ["team__name", "user__username"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "team__name"]

    def check_create_permission(self, data) -> None:
        team = data["team"]
        if not Team.objects.restrict(self.request.user, Action.MANAGE).filter(pk=team.pk).exists():
            raise exceptions.PermissionDenied("Only the team's data officer may add members.")

    def create_object(self, *, data):
        return services.membership_set(
            team=data["team"], user=data["user"], role=data["role"], by=self.request.user
        )

    def update_object(self, *, instance, data):
        role = data.get("role", instance.role)
        return services.membership_set(
            team=instance.team, user=instance.user, role=role, by=self.request.user
        )

    def delete_object(self, *, instance) -> None:
        services.membership_remove(membership=instance, by=self.request.user)


class MeView(generics.RetrieveAPIView):
    """The signed-in user, with their teams and the role and actions they hold in each."""

    serializer_class = serializers.MeSerializer

    def get_object(self):
        memberships = Membership.objects.select_related("team").order_by("team__name")
        return (
            get_user_model()
            .objects.prefetch_related(Prefetch("memberships", queryset=memberships))
            .get(pk=self.request.user.pk)
        )


@extend_schema_view(
    create=extend_schema(responses={201: serializers.PersonalAccessTokenCreatedSerializer}),
    destroy=extend_schema(description="Revoke the token (it stays listed, with status `revoked`)."),
    revoke=extend_schema(request=None, responses={200: serializers.PersonalAccessTokenSerializer}),
)
class PersonalAccessTokenViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """My personal access tokens. The raw token is returned once, by create; only its digest is stored."""

    queryset = PersonalAccessToken.objects.all()
    serializer_class = serializers.PersonalAccessTokenSerializer
    filterset_class = filtersets.PersonalAccessTokenFilterSet
    ordering_fields = ["created_at", "name", "last_used_at", "expires_at"]
    ordering = ["-created_at"]
    search_fields = ["name", "prefix"]
    action_permissions = {"revoke": Action.CHANGE}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw = services.token_issue(
            user=request.user,
            name=serializer.validated_data["name"],
            expires_at=serializer.validated_data.get("expires_at"),
        )
        token.token = raw
        body = serializers.PersonalAccessTokenCreatedSerializer(
            token, context=self.get_serializer_context()
        ).data
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.token_revoke(token=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def revoke(self, request, *args, **kwargs):
        """Revoke the token; revoking an already revoked token changes nothing."""
        token = services.token_revoke(token=self.get_object(), by=request.user)
        return Response(self.get_serializer(token).data)
