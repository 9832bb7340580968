"""/api/v1/datasets/{id}/profile/ and /preview/: profiles and first rows, PII masked server-side.

- GET  profile/?version=N  the newest profile (of version N), columns in table order;
- POST profile/ {"version": N}  starts a `catalog.profile` job (members with `run`) → 202;
- GET  preview/?version=N&limit=…  the first rows (default 50, at most PREVIEW_MAX_ROWS).

The dataset comes through `restrict` (404 when invisible); starting a job needs `run` (403).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response

from apps.catalog.models import Dataset
from apps.catalog.profiling import ProfilingError
from apps.catalog.selectors import profiling as selectors
from apps.catalog.services import profiling as services
from apps.core.api.viewsets import RestrictedViewSetMixin
from apps.core.permissions import Action


class DataUnreadable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The version's data could not be read."
    default_code = "data_unreadable"


class ProfileColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    position = serializers.IntegerField()
    type = serializers.CharField()
    kind = serializers.ChoiceField(choices=["numeric", "temporal", "boolean", "string", "other"])
    count = serializers.IntegerField(help_text="Non-null values.")
    nulls = serializers.IntegerField()
    null_fraction = serializers.FloatField()
    distinct = serializers.IntegerField(required=False)
    distinct_approximate = serializers.BooleanField(required=False, help_text="HyperLogLog estimate.")
    min = serializers.JSONField(required=False)
    max = serializers.JSONField(required=False)
    mean = serializers.FloatField(required=False, allow_null=True)
    std = serializers.FloatField(required=False, allow_null=True)
    top = serializers.ListField(child=serializers.DictField(), required=False)
    histogram = serializers.DictField(
        required=False, help_text="bins: edges + counts; categories: labels + counts"
    )
    masked = serializers.BooleanField(help_text="A PII column shown with counts only.")


class ProfileSerializer(serializers.Serializer):
    dataset = serializers.IntegerField()
    version = serializers.IntegerField()
    row_count = serializers.IntegerField(allow_null=True)
    column_count = serializers.IntegerField()
    engine = serializers.CharField()
    created_at = serializers.DateTimeField()
    job = serializers.IntegerField(allow_null=True)
    columns = ProfileColumnSerializer(many=True)


class ProfileStartSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="Default: the latest version.")


class ProfileStartedSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    url = serializers.CharField()


class PreviewColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    pii = serializers.BooleanField()
    masked = serializers.BooleanField()


class PreviewSerializer(serializers.Serializer):
    dataset = serializers.IntegerField()
    version = serializers.IntegerField()
    limit = serializers.IntegerField()
    columns = PreviewColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))
    masked = serializers.ListField(child=serializers.CharField())


VERSION_PARAMETER = OpenApiParameter(
    "version", OpenApiTypes.INT, description="Version number (default: latest)."
)


def _version(request, dataset: Dataset, number):
    try:
        return selectors.dataset_version_get(user=request.user, dataset=dataset, number=number)
    except Http404:
        raise exceptions.NotFound("This dataset has no version with that number.") from None


class DatasetProfileViewSet(RestrictedViewSetMixin, viewsets.GenericViewSet):
    """A dataset's newest profile; POST starts a profiling job."""

    queryset = Dataset.objects.select_related("team")
    serializer_class = ProfileSerializer
    action_permissions = {"retrieve": Action.VIEW, "start": Action.RUN}
    pagination_class = None
    filter_backends: list = []

    @extend_schema(parameters=[VERSION_PARAMETER], responses=ProfileSerializer)
    def retrieve(self, request, pk=None):
        dataset = self.get_object()
        version = _version(request, dataset, request.query_params.get("version"))
        shown = selectors.dataset_profile_view(user=request.user, dataset=dataset, version=version)
        if shown is None:
            raise exceptions.NotFound(
                "This dataset (version) has not been profiled yet; POST here to profile it."
            )
        profile = shown.profile
        return Response(
            {
                "dataset": dataset.pk,
                "version": profile.version.number,
                "row_count": profile.row_count,
                "column_count": len(shown.columns),
                "engine": profile.engine,
                "created_at": serializers.DateTimeField().to_representation(profile.created_at),
                "job": profile.job_id,
                "columns": shown.columns,
            }
        )

    @extend_schema(request=ProfileStartSerializer, responses={202: ProfileStartedSerializer})
    def start(self, request, pk=None):
        dataset = self.get_object()  # 404 when invisible, 403 without `run`
        body = ProfileStartSerializer(data=request.data if isinstance(request.data, dict) else {})
        body.is_valid(raise_exception=True)
        version = _version(request, dataset, body.validated_data.get("version"))
        try:
            job = services.dataset_profile_start(dataset=dataset, by=request.user, version=version)
        except DjangoValidationError as error:
            raise exceptions.ValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from None
        return Response(
            {
                "job": job.pk,
                "status": job.status,
                "version": job.params.get("version"),
                "url": reverse("job-detail", kwargs={"pk": job.pk}),
            },
            status=status.HTTP_202_ACCEPTED,
        )


class DatasetPreviewViewSet(RestrictedViewSetMixin, viewsets.GenericViewSet):
    """The first rows of a dataset version; PII columns arrive as "•••" unless you may edit the dataset."""

    queryset = Dataset.objects.select_related("team")
    serializer_class = PreviewSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        parameters=[
            VERSION_PARAMETER,
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description="Rows, 1 to PREVIEW_MAX_ROWS (default 50)."
            ),
        ],
        responses=PreviewSerializer,
    )
    def retrieve(self, request, pk=None):
        dataset = self.get_object()
        try:
            limit = selectors.preview_limit(request.query_params.get("limit"))
        except ValueError:
            raise exceptions.ValidationError(
                {"limit": [f"Ask for a whole number of rows from 1 to {settings.PREVIEW_MAX_ROWS}."]}
            ) from None
        version = _version(request, dataset, request.query_params.get("version"))
        if version is None:
            raise exceptions.NotFound("This dataset has no version yet, so there are no rows to preview.")
        try:
            preview = selectors.dataset_preview(
                user=request.user, dataset=dataset, version=version, limit=limit
            )
        except ProfilingError as exc:
            raise DataUnreadable(str(exc)) from None
        return Response(
            {
                "dataset": dataset.pk,
                "version": version.number,
                "limit": limit,
                "columns": preview.columns,
                "rows": preview.rows,
                "masked": preview.masked,
            }
        )
