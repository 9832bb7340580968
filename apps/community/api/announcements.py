"""Announcements over REST: the caller's (current by default), post, edit, end, dismiss."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.community.models import Announcement
from apps.community.selectors import announcements as selectors
from apps.community.selectors.assets import asset_from_key, asset_key, resolve_assets
from apps.community.services import announcements as services
from apps.core.api.viewsets import RestrictedViewSetMixin
from apps.core.history import acting_user
from apps.core.markdown import render_markdown
from apps.core.permissions import Action
from apps.teams.models import Team

SCOPES = ("current", "scheduled", "past", "all")


class AnnouncementSerializer(serializers.ModelSerializer):
    """An announcement; `team` (a slug) empty or null means the whole organisation."""

    url = serializers.HyperlinkedIdentityField(view_name="announcement-detail")
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": "No team has the slug {value}."},
    )
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    body_html = serializers.SerializerMethodField()
    asset = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text='What it is about, as "<app_label>.<model>:<id>"; shown only to readers who may see it.',
    )
    dismissed = serializers.SerializerMethodField()
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Announcement
        fields = [
            "id", "url", "team", "title", "body", "body_html", "severity", "asset", "starts_at", "expires_at",
            "state", "author", "dismissed", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    @extend_schema_field(serializers.CharField())
    def get_body_html(self, announcement: Announcement) -> str:
        return render_markdown(announcement.body)

    def get_dismissed(self, announcement: Announcement) -> bool:
        return bool(getattr(announcement, "dismissed", False))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        asset = None
        if instance.asset_type_id and instance.asset_id:
            key = (instance.asset_type_id, instance.asset_id)
            assets = self.context.get("assets")
            if assets is None:  # one announcement (create): resolve its asset for the reader
                assets = resolve_assets(user=self.context["request"].user, keys=[key])
            asset = assets.get(key)
        data["asset"] = asset_key(asset) if asset is not None else None
        return data

    def validate_asset(self, value):
        if not value:
            return None
        try:
            return asset_from_key(user=self.context["request"].user, key=value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_team(self, team):
        if self.instance is not None and (team.pk if team else None) != self.instance.team_id:
            raise serializers.ValidationError("An announcement's audience cannot be changed.")
        return team


class AnnouncementViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Announcements to your teams and everyone: `?scope=current` (default), scheduled, past, all."""

    queryset = Announcement.objects.select_related("team", "author")
    serializer_class = AnnouncementSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    # Posting is decided by the service (who may announce to which audience); dismissing is the reader's.
    action_permissions = {"create": Action.VIEW, "dismiss": Action.VIEW, "end": Action.CHANGE}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        if self.action == "list":
            scope = self.request.query_params.get("scope", "current")
            if scope not in SCOPES:
                raise exceptions.ValidationError({"scope": [f"Choose one of {', '.join(SCOPES)}."]})
            announcements = selectors.announcement_list(user=self.request.user, scope=scope)
            dismissed = self.request.query_params.get("dismissed", "").lower()
            if dismissed in {"false", "0", "no"}:
                announcements = announcements.filter(dismissed=False)
            elif dismissed in {"true", "1", "yes"}:
                announcements = announcements.filter(dismissed=True)
            return announcements
        return super().get_queryset()

    def base_queryset(self):
        from django.db.models import Exists, OuterRef

        from apps.community.models import AnnouncementDismissal

        mine = AnnouncementDismissal.objects.filter(announcement=OuterRef("pk"), user_id=self.request.user.pk)
        return self.queryset.annotate(dismissed=Exists(mine))

    def _with_assets(self, announcements) -> dict:
        keys = {(a.asset_type_id, a.asset_id) for a in announcements if a.asset_type_id and a.asset_id}
        return resolve_assets(user=self.request.user, keys=keys)

    def get_serializer(self, *args, **kwargs):
        instance = args[0] if args else kwargs.get("instance")
        if instance is not None:
            rows = list(instance) if isinstance(instance, list | tuple) else [instance]
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["assets"] = self._with_assets(rows)
        return super().get_serializer(*args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "scope", str, enum=list(SCOPES), description="current (default), scheduled, past, all."
            ),
            OpenApiParameter(
                "dismissed", bool, description="Only those you dismissed (true) or not (false)."
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _one(self, pk) -> Announcement:
        return self.base_queryset().restrict(self.request.user, Action.VIEW).get(pk=pk)

    def user_may(self, obj, action: str) -> bool:
        return services.announcement_user_may_change(user=self.request.user, announcement=obj)

    def perform_create(self, serializer):
        data = serializer.validated_data
        with acting_user(self.request.user):
            created = services.announcement_create(
                by=self.request.user,
                team=data.get("team"),
                title=data["title"],
                body=data.get("body", ""),
                severity=data.get("severity", "info"),
                starts_at=data.get("starts_at"),
                expires_at=data.get("expires_at"),
                asset=data.get("asset"),
            )
        serializer.instance = self._one(created.pk)

    def perform_update(self, serializer):
        changes = {
            name: value
            for name, value in serializer.validated_data.items()
            if name in services.ANNOUNCEMENT_FIELDS and not (name == "starts_at" and value is None)
        }
        with acting_user(self.request.user):
            services.announcement_update(announcement=serializer.instance, by=self.request.user, **changes)
        serializer.instance = self._one(serializer.instance.pk)

    @extend_schema(request=None, responses=AnnouncementSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Hide the announcement from your home page (idempotent)."""
        announcement = self.get_object()
        services.announcement_dismiss(announcement=announcement, by=request.user)
        return Response(self.get_serializer(self._one(announcement.pk)).data)

    @extend_schema(request=None, responses=AnnouncementSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """Stop showing the announcement now (its author or the team's data officers)."""
        announcement = self.get_object()
        services.announcement_end(announcement=announcement, by=request.user)
        return Response(self.get_serializer(self._one(announcement.pk)).data)
