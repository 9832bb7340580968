"""The activity feed over REST: everywhere the caller may look (or one team), and one asset's."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from apps.community.selectors.activity import (
    KINDS,
    ActivityFilters,
    ActivityScope,
    activity_asset_types,
    activity_feed,
)
from apps.community.selectors.assets import asset_get
from apps.teams.models import Team


class ActivityItemSerializer(serializers.Serializer):
    """One line of the feed: who did what to which object, when."""

    when = serializers.DateTimeField()
    who = serializers.CharField(help_text="The person's name.")
    actor = serializers.CharField(source="actor_username", help_text="Their username (empty: the system).")
    verb = serializers.CharField()
    kind = serializers.CharField(help_text="What the object is: Dataset, Idea, Member, Team …")
    name = serializers.CharField()
    url = serializers.CharField(help_text="The object's page; empty when it no longer exists.")
    detail = serializers.CharField()


class ActivityQuerySerializer(serializers.Serializer):
    """The feed's filters, as query parameters; `kind` may repeat (kind=vote&kind=status)."""

    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        error_messages={"does_not_exist": "No team has the slug {value}."},
    )
    kind = serializers.ListField(child=serializers.ChoiceField(choices=list(KINDS)), required=False)
    asset_type = serializers.ChoiceField(choices=[], required=False)
    person = serializers.CharField(required=False, max_length=150)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asset_type"].choices = [label for label, _ in activity_asset_types()]

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": "The end of the range comes before its start."})
        return attrs

    def filters(self) -> ActivityFilters:
        data = self.validated_data
        return ActivityFilters(
            kinds=tuple(data.get("kind") or ()),
            asset_type=data.get("asset_type", ""),
            person=data.get("person", ""),
            since=data.get("since"),
            until=data.get("until"),
        )


PARAMETERS = [
    OpenApiParameter("kind", str, many=True, enum=list(KINDS), description="Kinds of change (repeatable)."),
    OpenApiParameter(
        "asset_type", str, description='An asset type, e.g. "catalog.dataset" or "community.idea".'
    ),
    OpenApiParameter("person", str, description="A username: only what they did."),
    OpenApiParameter("since", str, description="From this date (YYYY-MM-DD), inclusive."),
    OpenApiParameter("until", str, description="To this date (YYYY-MM-DD), inclusive."),
]


def _query(request) -> ActivityQuerySerializer:
    data = {key: request.query_params.get(key) for key in ("team", "asset_type", "person", "since", "until")}
    data = {key: value for key, value in data.items() if value not in (None, "")}
    kinds = [kind for value in request.query_params.getlist("kind") for kind in value.split(",") if kind]
    if kinds:
        data["kind"] = kinds
    query = ActivityQuerySerializer(data=data)
    query.is_valid(raise_exception=True)
    return query


class ActivityView(GenericAPIView):
    """Who did what, when, on everything the caller may see (or `?team=<slug>`), newest first."""

    serializer_class = ActivityItemSerializer
    filter_backends: list = []  # the feed's own filters, validated by ActivityQuerySerializer

    @extend_schema(
        operation_id="activity_list",
        parameters=[OpenApiParameter("team", str, description="A team's slug."), *PARAMETERS],
        responses=ActivityItemSerializer(many=True),
    )
    def get(self, request):
        query = _query(request)
        team = query.validated_data.get("team")
        scope = ActivityScope(team_ids=(team.pk,) if team is not None else None)
        return self._page(activity_feed(user=request.user, scope=scope, filters=query.filters()))

    def _page(self, feed):
        page = self.paginate_queryset(feed)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AssetActivityView(ActivityView):
    """One asset's activity: its history and the community events about it (404 if you cannot see it)."""

    @extend_schema(
        operation_id="asset_activity_list",
        parameters=[
            OpenApiParameter(
                "label", str, OpenApiParameter.PATH, description='The asset type, e.g. "catalog.dataset".'
            ),
            OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The asset's id."),
            *PARAMETERS,
        ],
        responses=ActivityItemSerializer(many=True),
    )
    def get(self, request, label: str, pk: int):
        asset = asset_get(user=request.user, label=label, pk=pk)
        query = _query(request)
        return self._page(
            activity_feed(user=request.user, scope=ActivityScope(asset=asset), filters=query.filters())
        )
