"""Ideas over REST: the board (filters; hot, top, new), propose, edit, vote, the status workflow, links."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.community.models import Idea, IdeaStatus, IdeaVote
from apps.community.selectors import ideas as selectors
from apps.community.selectors.assets import asset_from_key, asset_key
from apps.community.services import ideas as services
from apps.core.api.viewsets import RestrictedModelViewSet
from apps.core.markdown import render_markdown
from apps.core.permissions import Action
from apps.teams.models import Team


class IdeaSerializer(serializers.ModelSerializer):
    """An idea on the board; `team` (a slug) is chosen when proposing and never changes."""

    url = serializers.HyperlinkedIdentityField(view_name="idea-detail")
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        error_messages={"does_not_exist": "No team has the slug {value}."},
    )
    team_name = serializers.CharField(source="team.name", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    description_html = serializers.SerializerMethodField()
    has_voted = serializers.SerializerMethodField()

    class Meta:
        model = Idea
        fields = [
            "id", "url", "title", "description", "description_html", "team", "team_name", "visibility",
            "status", "status_reason", "status_changed_at", "author", "vote_count", "hot_score", "has_voted",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "status", "status_reason", "status_changed_at", "vote_count", "hot_score",
            "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.STR)
    def get_description_html(self, idea: Idea) -> str:
        return render_markdown(idea.description)

    def get_has_voted(self, idea: Idea) -> bool:
        return bool(getattr(idea, "has_voted", False))

    def validate_team(self, team: Team) -> Team:
        if self.instance is not None and team.pk != self.instance.team_id:
            raise serializers.ValidationError("An idea's team cannot be changed.")
        return team


class IdeaLinkSerializer(serializers.Serializer):
    """One asset the idea would change (only links to assets the reader may see are listed)."""

    id = serializers.IntegerField(read_only=True)
    asset = serializers.CharField(
        help_text='The asset, as "<app_label>.<model>:<id>", e.g. "catalog.dataset:12".'
    )
    asset_type = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)


class IdeaStatusChangeSerializer(serializers.Serializer):
    from_status = serializers.ChoiceField(choices=IdeaStatus.choices)
    to_status = serializers.ChoiceField(choices=IdeaStatus.choices)
    reason = serializers.CharField()
    changed_by = serializers.CharField(source="changed_by.username", default=None)
    created_at = serializers.DateTimeField()


class IdeaDetailSerializer(IdeaSerializer):
    """An idea with its visible links, its workflow so far and the statuses it may move to next."""

    links = serializers.SerializerMethodField()
    status_changes = serializers.SerializerMethodField()
    next_statuses = serializers.SerializerMethodField()

    class Meta(IdeaSerializer.Meta):
        fields = [*IdeaSerializer.Meta.fields, "links", "status_changes", "next_statuses"]

    @extend_schema_field(IdeaLinkSerializer(many=True))
    def get_links(self, idea: Idea) -> list[dict]:
        user = self.context["request"].user
        return [_link_data(linked) for linked in selectors.idea_links(user=user, idea=idea)]

    @extend_schema_field(IdeaStatusChangeSerializer(many=True))
    def get_status_changes(self, idea: Idea) -> list[dict]:
        return IdeaStatusChangeSerializer(selectors.idea_status_changes(idea=idea), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=IdeaStatus.choices)))
    def get_next_statuses(self, idea: Idea) -> list[str]:
        return [value for value, _ in services.idea_next_statuses(idea=idea)]


def _link_data(linked) -> dict:
    return {
        "id": linked.link.pk,
        "asset": asset_key(linked.asset),
        "asset_type": linked.asset._meta.label_lower,
        "name": str(linked.asset),
        "url": linked.url,
    }


class IdeaTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IdeaStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=services.REASON_MAX)


LIST_PARAMETERS = [
    OpenApiParameter("status", str, description="A status, or `open` (taking votes) or `closed`."),
    OpenApiParameter("team", str, description="A team's slug."),
    OpenApiParameter(
        "asset_type", str, description='Linked to an asset of this type, e.g. "catalog.dataset".'
    ),
    OpenApiParameter("asset", str, description='Linked to this asset, e.g. "catalog.dataset:12".'),
    OpenApiParameter("search", str, description="Words in the title or description."),
    OpenApiParameter("sort", str, enum=list(selectors.IDEA_SORTS), description="hot (default), top or new."),
]


class IdeaViewSet(RestrictedModelViewSet):
    """Ideas the user may see; anyone may propose an internal idea to any team (docs/community-ideas.md)."""

    queryset = Idea.objects.select_related("team", "author")
    serializer_class = IdeaSerializer
    filter_backends: list = []  # filters and sorts are the board's own (`idea_list`), documented below
    action_permissions = {
        "create": Action.VIEW,  # proposing is decided by the service (internal: anyone; private: members)
        "vote": Action.VIEW,
        "links": Action.VIEW,
        "link": Action.VIEW,
        "transition": services.MANAGE_ACTION,
    }

    def get_serializer_class(self):
        return IdeaDetailSerializer if self.action == "retrieve" else IdeaSerializer

    def base_queryset(self):
        voted = IdeaVote.objects.filter(idea=OuterRef("pk"), user_id=self.request.user.pk)
        return self.queryset.annotate(has_voted=Exists(voted))

    def get_queryset(self):
        if self.action != "list" or getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        params = self.request.query_params
        team = None
        if params.get("team"):
            team = Team.objects.filter(slug=params["team"]).first()
            if team is None:
                raise exceptions.ValidationError({"team": [f"No team has the slug {params['team']}."]})
        status_filter = params.get("status", "")
        if status_filter and status_filter not in selectors.STATUS_FILTERS:
            raise exceptions.ValidationError(
                {"status": [f"Choose one of {', '.join(selectors.STATUS_FILTERS)}."]}
            )
        sort = params.get("sort") or selectors.DEFAULT_IDEA_SORT
        if sort not in selectors.IDEA_SORTS:
            raise exceptions.ValidationError({"sort": [f"Choose one of {', '.join(selectors.IDEA_SORTS)}."]})
        asset = None
        if params.get("asset"):
            try:
                asset = asset_from_key(user=self.request.user, key=params["asset"])
            except ValueError as error:
                raise exceptions.ValidationError({"asset": [str(error)]}) from None
        return selectors.idea_list(
            user=self.request.user,
            status=status_filter,
            team=team,
            asset_type=params.get("asset_type", ""),
            asset=asset,
            text=params.get("search", ""),
            sort=sort,
        )

    def user_may(self, obj, action: str) -> bool:
        if action == Action.CHANGE:
            return services.idea_user_may_edit(user=self.request.user, idea=obj)
        return super().user_may(obj, action)

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create_object(self, *, data):
        idea = services.idea_create(
            team=data["team"],
            by=self.request.user,
            title=data["title"],
            description=data.get("description", ""),
            visibility=data.get("visibility", "internal"),
        )
        return selectors.idea_get(user=self.request.user, pk=idea.pk)  # with the author's own vote

    def update_object(self, *, instance, data):
        changes = {field: value for field, value in data.items() if field in services.IDEA_FIELDS}
        services.idea_update(idea=instance, by=self.request.user, **changes)
        return selectors.idea_get(user=self.request.user, pk=instance.pk)

    def delete_object(self, *, instance) -> None:
        services.idea_delete(idea=instance, by=self.request.user)

    def _fresh(self, idea: Idea) -> dict:
        fresh = selectors.idea_get(user=self.request.user, pk=idea.pk)
        return IdeaDetailSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(request=None, responses=IdeaDetailSerializer, methods=["POST", "DELETE"])
    @action(detail=True, methods=["post", "delete"])
    def vote(self, request, pk=None):
        """POST: vote for the idea (once); DELETE: withdraw the vote. Only while the idea is open."""
        idea = self.get_object()
        if request.method == "DELETE":
            services.idea_unvote(idea=idea, by=request.user)
        else:
            services.idea_vote(idea=idea, by=request.user)
        return Response(self._fresh(idea))

    @extend_schema(request=IdeaTransitionSerializer, responses=IdeaDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the idea to another status (the owning team's data officers); declining needs a reason."""
        idea = self.get_object()
        body = IdeaTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.idea_transition(
            idea=idea,
            by=request.user,
            to_status=body.validated_data["status"],
            reason=body.validated_data.get("reason", ""),
        )
        return Response(self._fresh(idea))

    @extend_schema(
        request=IdeaLinkSerializer, responses={200: IdeaLinkSerializer(many=True), 201: IdeaLinkSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def links(self, request, pk=None):
        """GET: the assets the idea would change (those you may see). POST: link one (its editors)."""
        idea = self.get_object()
        if request.method == "GET":
            return Response(
                [_link_data(linked) for linked in selectors.idea_links(user=request.user, idea=idea)]
            )
        body = IdeaLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            target = asset_from_key(user=request.user, key=body.validated_data["asset"])
        except ValueError as error:
            raise exceptions.ValidationError({"asset": [str(error)]}) from None
        link = services.idea_link_add(idea=idea, by=request.user, target=target)
        (linked,) = [
            item for item in selectors.idea_links(user=request.user, idea=idea) if item.link.pk == link.pk
        ]
        return Response(_link_data(linked), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"links/(?P<link_pk>[0-9]+)", url_name="link")
    def link(self, request, pk=None, link_pk=None):
        """Remove one of the idea's links (its editors)."""
        idea = self.get_object()
        found = selectors.idea_link_get(user=request.user, idea=idea, pk=link_pk)
        services.idea_link_remove(link=found, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
