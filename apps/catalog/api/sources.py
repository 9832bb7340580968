"""Sources, dataset versions and uploads over REST.

- `/api/v1/sources/`: CRUD through `restrict` and the source services. The database URL
  and password are write-only: responses carry `display_url` (no password) only.
- `/api/v1/sources/{id}/test/` and `/sync/`: POST starts the job (202, with the job's id).
- `/api/v1/datasets/{id}/versions/` and `/versions/{number}/`: a visible dataset's versions.
- `/api/v1/uploads/`: multipart POST of a CSV or Parquet file → a new dataset or version.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from apps.catalog.models import Dataset, DatasetVersion, DataSource
from apps.catalog.services import sources as services
from apps.core.api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyViewSet
from apps.core.permissions import Action
from apps.teams.models import Team


class SourceSerializer(serializers.ModelSerializer):
    """A source; `database_url` and `password` are accepted on write and never returned."""

    url = serializers.HyperlinkedIdentityField(view_name="source-detail")
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        error_messages={"does_not_exist": "No team has the slug {value}."},
    )
    team_name = serializers.CharField(source="team.name", read_only=True)
    database_url = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="SQLAlchemy URL (SQL sources).",
    )
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500, style={"input_type": "password"}
    )
    options = serializers.JSONField(required=False)

    class Meta:
        model = DataSource
        fields = [
            "id", "url", "name", "slug", "team", "team_name", "kind", "visibility", "description",
            "location", "display_url", "database_url", "password", "options", "sync_status",
            "last_synced_at", "last_sync_summary", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["slug", "display_url", "sync_status", "last_synced_at", "last_sync_summary"]
        validators = []  # the slug is derived; uniqueness is the service's job

    def validate(self, attrs):
        if self.instance is not None:
            if "team" in attrs and attrs["team"].pk != self.instance.team_id:
                raise serializers.ValidationError({"team": "A source's team cannot be changed."})
            if "kind" in attrs and attrs["kind"] != self.instance.kind:
                raise serializers.ValidationError({"kind": "A source's kind cannot be changed."})
        return attrs


class SourceViewSet(RestrictedModelViewSet):
    """Sources the user may see; members with the right role register, change, delete, test and sync them."""

    queryset = DataSource.objects.select_related("team")
    serializer_class = SourceSerializer
    action_permissions = {"test": Action.RUN, "sync": Action.RUN}
    ordering_fields = ["name", "created_at", "updated_at", "last_synced_at"]
    ordering = ["name", "id"]
    search_fields = ["name", "description"]
    filterset_fields = ["kind", "visibility", "sync_status"]

    def create_object(self, *, data):
        return services.source_create(
            team=data["team"],
            by=self.request.user,
            kind=data.get("kind", ""),
            name=data.get("name", ""),
            description=data.get("description", ""),
            visibility=data.get("visibility", "private"),
            location=data.get("location", ""),
            url=data.get("database_url", ""),
            password=data.get("password", ""),
            options=data.get("options"),
        )

    def update_object(self, *, instance, data):
        changes = {key: value for key, value in data.items() if key not in ("team", "kind", "database_url")}
        if data.get("database_url"):
            changes["url"] = data["database_url"]
        if not changes.get("password"):
            changes.pop("password", None)
        return services.source_update(source=instance, by=self.request.user, **changes)

    def delete_object(self, *, instance) -> None:
        services.source_delete(source=instance, by=self.request.user)

    def _start(self, starter):
        source = self.get_object()
        job = starter(source=source, by=self.request.user)
        return Response(
            {"job": job.pk, "kind": job.kind, "status": job.status, "url": f"/api/v1/jobs/{job.pk}/"},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        request=None,
        responses={202: inline_serializer("SourceJobStarted", {"job": serializers.IntegerField(),
                                                              "kind": serializers.CharField(),
                                                              "status": serializers.CharField(),
                                                              "url": serializers.CharField()})},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Start a "Test connection" job (202); its result says ok or why not."""
        return self._start(services.source_test_start)

    @extend_schema(request=None, responses={202: OpenApiResponse(description="The sync job was started.")})
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Start a sync job (202): tables or files become datasets, columns and versions."""
        return self._start(services.source_sync_start)


class DatasetVersionSerializer(serializers.ModelSerializer):
    """An immutable version of a dataset."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DatasetVersion
        fields = [
            "id", "number", "content_hash", "row_count", "column_count", "schema", "schema_changes",
            "storage_path", "location", "size_bytes", "created_by", "created_by_job", "producer",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class DatasetVersionViewSet(RestrictedReadOnlyViewSet):
    """A visible dataset's versions, newest first (404 when the dataset is not visible)."""

    queryset = DatasetVersion.objects.select_related("created_by")
    serializer_class = DatasetVersionSerializer
    lookup_field = "number"
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not getattr(self, "swagger_fake_view", False):
            visible = Dataset.objects.restrict(request.user, Action.VIEW).filter(pk=kwargs.get("dataset_pk"))
            if not visible.exists():
                raise Http404("No such dataset.")

    def base_queryset(self):
        return self.queryset.filter(dataset_id=self.kwargs.get("dataset_pk")).order_by("-number")


class UploadSerializer(serializers.Serializer):
    """A file to upload, for a team (new dataset or same-name version) or as the next version of `dataset`."""

    file = serializers.FileField()
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), required=False)
    dataset = serializers.IntegerField(required=False, help_text="Id of a dataset to add a version to.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class UploadView(APIView):
    """POST a CSV or Parquet file (multipart): 201 with the dataset and its new version, 200 if unchanged."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={201: DatasetVersionSerializer}
    )
    def post(self, request):
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        dataset = None
        if data.get("dataset") is not None:
            dataset = (
                Dataset.objects.restrict(request.user, Action.VIEW)
                .select_related("team", "source")
                .filter(pk=data["dataset"])
                .first()
            )
            if dataset is None:
                raise serializers.ValidationError({"dataset": "No dataset with this id."})
        elif data.get("team") is None:
            raise serializers.ValidationError(
                {"team": "Give the team's slug, or a dataset to add a version to."}
            )
        result = services.file_upload(
            team=data.get("team"),
            by=request.user,
            uploaded=data["file"],
            name=data.get("name", ""),
            dataset=dataset,
        )
        body = {
            "dataset": result.dataset.pk,
            "dataset_name": result.dataset.name,
            "created_dataset": result.created_dataset,
            "unchanged": result.unchanged,
            "version": DatasetVersionSerializer(result.version).data,
        }
        return Response(body, status=status.HTTP_200_OK if result.unchanged else status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("sources", SourceViewSet, basename="source")
urlpatterns = [
    *router.urls,
    path(
        "datasets/<int:dataset_pk>/versions/",
        DatasetVersionViewSet.as_view({"get": "list"}),
        name="dataset-version-list",
    ),
    path(
        "datasets/<int:dataset_pk>/versions/<int:number>/",
        DatasetVersionViewSet.as_view({"get": "retrieve"}),
        name="dataset-version-detail",
    ),
    path("uploads/", UploadView.as_view(), name="upload-create"),
]
