"""Glossary terms, tags and a dataset's tags and terms over REST, through `restrict` and the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalog.models import Dataset, GlossaryTerm, Tag
from apps.catalog.selectors import datasets as dataset_selectors
from apps.catalog.selectors import glossary as selectors
from apps.catalog.services import glossary as services
from apps.core.api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyViewSet
from apps.core.markdown import render_markdown
from apps.core.models import Visibility
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids
from apps.teams.models import Team


def _drf_error(error: DjangoValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class VisibleTermField(serializers.SlugRelatedField):
    """A term by slug, among the terms the request's user may see."""

    def get_queryset(self):
        return GlossaryTerm.objects.restrict(self.context["request"].user, Action.VIEW)


class GlossaryTermSerializer(serializers.ModelSerializer):
    """A glossary term; `team` (a slug) is chosen on create among teams where the user may add."""

    url = serializers.HyperlinkedIdentityField(view_name="glossary-term-detail", lookup_field="slug")
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        error_messages={"does_not_exist": "No team has the slug {value}."},
    )
    owners = serializers.SlugRelatedField(
        slug_field="username",
        many=True,
        required=False,
        queryset=GlossaryTerm.owners.field.related_model.objects.all(),
    )
    related = VisibleTermField(slug_field="slug", many=True, required=False)
    synonyms = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.INTERNAL)
    definition_html = serializers.SerializerMethodField()

    class Meta:
        model = GlossaryTerm
        fields = [
            "id", "url", "name", "slug", "team", "visibility", "definition", "definition_html",
            "synonyms", "owners", "related", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["slug"]

    def get_definition_html(self, term: GlossaryTerm) -> str:
        return render_markdown(term.definition)

    def validate_team(self, team: Team) -> Team:
        if self.instance is not None:
            if team.pk != self.instance.team_id:
                raise serializers.ValidationError("A term's team cannot be changed.")
            return team
        user = self.context["request"].user
        if not (
            user.is_superuser
            or Team.objects.filter(pk=team.pk, pk__in=member_team_ids(user, Action.ADD)).exists()
        ):
            raise serializers.ValidationError(
                "You are not a member of this team with the right to define terms."
            )
        return team


class GlossaryTermViewSet(RestrictedModelViewSet):
    """Glossary terms the user may see; members with the right role define and edit them."""

    queryset = GlossaryTerm.objects.select_related("team").prefetch_related("owners", "related")
    serializer_class = GlossaryTermSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering = ["name", "id"]
    ordering_fields = ["name", "created_at", "updated_at"]
    search_fields = ["name", "definition"]
    filterset_fields = {"team__slug": ["exact"], "visibility": ["exact"]}

    def create_object(self, *, data):
        return services.glossary_term_create(by=self.request.user, **data)

    def update_object(self, *, instance, data):
        data = {key: value for key, value in data.items() if key != "team"}
        owners, related = data.pop("owners", None), data.pop("related", None)
        if related is not None:  # keep links to terms the editor cannot see
            hidden = instance.related.exclude(
                pk__in=GlossaryTerm.objects.restrict(self.request.user).values("pk")
            )
            related = [*related, *hidden]
        return services.glossary_term_update(
            term=instance, by=self.request.user, owners=owners, related=related, **data
        )

    def perform_create(self, serializer):
        try:
            super().perform_create(serializer)
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    def perform_update(self, serializer):
        try:
            super().perform_update(serializer)
        except DjangoValidationError as error:
            raise _drf_error(error) from None


class TagSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="tag-detail", lookup_field="slug")
    dataset_count = serializers.IntegerField(read_only=True, help_text="Datasets you may see that carry it.")

    class Meta:
        model = Tag
        fields = ["id", "url", "name", "slug", "dataset_count"]


class TagViewSet(RestrictedReadOnlyViewSet):
    """Tags on datasets the user may see (created by tagging a dataset)."""

    queryset = Tag.objects.all()
    serializer_class = TagSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    ordering = ["name", "id"]
    ordering_fields = ["name"]
    search_fields = ["name"]
    filterset_fields: list[str] = []

    def base_queryset(self):
        return selectors.tag_list(user=self.request.user)


class DatasetLabelsSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    terms = serializers.ListField(child=serializers.SlugField(max_length=120), required=False)


class DatasetLabelsView(APIView):
    """GET a dataset's tags and (visible) glossary terms; PUT replaces them (members with change)."""

    permission_classes = [IsAuthenticated]

    def _dataset(self, request, pk) -> Dataset:
        from django.http import Http404

        try:
            return dataset_selectors.dataset_get(user=request.user, pk=pk)
        except Http404:
            raise exceptions.NotFound("No such dataset.") from None

    def _body(self, request, dataset) -> dict:
        labels = selectors.dataset_labels(user=request.user, dataset=dataset)
        return {
            "tags": [tag.name for tag in labels["tags"]],
            "terms": [term.slug for term in labels["terms"]],
        }

    @extend_schema(responses=DatasetLabelsSerializer)
    def get(self, request, pk):
        return Response(self._body(request, self._dataset(request, pk)))

    @extend_schema(request=DatasetLabelsSerializer, responses=DatasetLabelsSerializer)
    def put(self, request, pk):
        dataset = self._dataset(request, pk)
        if not dataset_selectors.dataset_user_may(user=request.user, dataset=dataset, action=Action.CHANGE):
            raise exceptions.PermissionDenied("Your role in this dataset's team may not change it.")
        serializer = DatasetLabelsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        from django.db import transaction

        try:
            with transaction.atomic():
                if "tags" in data:
                    services.dataset_tags_set(dataset=dataset, by=request.user, names=data["tags"])
                if "terms" in data:
                    visible = GlossaryTerm.objects.restrict(request.user)
                    terms = list(visible.filter(slug__in=data["terms"]))
                    unknown = sorted(set(data["terms"]) - {term.slug for term in terms})
                    if unknown:
                        raise exceptions.ValidationError(
                            {"terms": [f"No glossary term has the slug {s}." for s in unknown]}
                        )
                    services.dataset_terms_set(dataset=dataset, by=request.user, terms=terms)
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        return Response(self._body(request, dataset), status=status.HTTP_200_OK)
