"""Experiments, runs and logged models over REST: reads through `restrict`, writes through the services.

- `/api/v1/experiments/`: list (filters team, name, visibility, lifecycle), create in a team where
  the role allows `add`, read, change, soft-delete (DELETE) and restore (POST …/restore/).
- `/api/v1/runs/` and `/api/v1/experiments/{id}/runs/`: runs you may see, with params, latest
  metrics and tags; filters by experiment, status, user, parent; read one in full, change its name,
  note and tags, soft-delete and restore it.
- `/api/v1/runs/{id}/params/`, `metrics/`, `metrics/{key}/` (the history, paginated), `tags/`,
  `artifacts/`: a visible run's parts (404 when the run is not visible).
- `/api/v1/logged-models/`: models runs logged, read-only.

Deleting is MLflow's soft delete (restorable): like the MLflow API, it needs the `change` right on
the experiment, as restoring does; only a data officer removes rows for good (admin site).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.catalog.models import Dataset
from apps.core.api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyViewSet, RestrictedViewSetMixin
from apps.core.history import acting_user
from apps.core.permissions import Action
from apps.experiments.api import serializers as api
from apps.experiments.api.filtersets import ExperimentFilterSet, LoggedModelFilterSet, RunFilterSet
from apps.experiments.errors import (
    INVALID_STATE,
    PERMISSION_DENIED,
    RESOURCE_DOES_NOT_EXIST,
    TrackingError,
)
from apps.experiments.models import (
    Artifact,
    Experiment,
    LatestMetric,
    LifecycleStage,
    LoggedModel,
    Metric,
    Param,
    Run,
    RunTag,
)
from apps.experiments.search import parse_filter, parse_order_by
from apps.experiments.selectors.tracking import run_clause_q, run_order_expressions
from apps.experiments.services import tracking as services


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is not in a state that allows this."
    default_code = "conflict"


@contextlib.contextmanager
def tracking_errors(*, field: str | None = None) -> Iterator[None]:
    """Turn the tracking services' refusals (MLflow codes) into the API's errors.

    Invalid values and name clashes are a 400 on `field` (or on the whole request), a missing
    object a 404, a refused right a 403, a wrong state (e.g. renaming a deleted run) a 409.
    """
    try:
        yield
    except TrackingError as error:
        if error.code == RESOURCE_DOES_NOT_EXIST:
            raise exceptions.NotFound(error.message) from None
        if error.code == PERMISSION_DENIED:
            raise exceptions.PermissionDenied(error.message) from None
        if error.code == INVALID_STATE:
            raise Conflict(error.message) from None
        target = field or getattr(error, "field", None) or "non_field_errors"
        raise exceptions.ValidationError({target: [error.message]}) from None


def _count_of(queryset, field: str) -> Coalesce:
    """A correlated COUNT subquery (no GROUP BY over the outer query, so prefetching stays cheap)."""
    counted = queryset.filter(**{field: OuterRef("pk")}).order_by().values(field)
    counted = counted.annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# --- experiments -------------------------------------------------------------------------------
class ExperimentViewSet(RestrictedModelViewSet):
    """Experiments you may see; members whose role allows it create, change, delete and restore them."""

    queryset = Experiment.objects.select_related("team", "created_by").prefetch_related("tags")
    serializer_class = api.ExperimentSerializer
    filterset_class = ExperimentFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name", "id"]
    search_fields = ["name", "description"]
    action_permissions = {"destroy": Action.CHANGE, "restore": Action.CHANGE}

    def base_queryset(self):
        active_runs = Run.objects.filter(lifecycle_stage=LifecycleStage.ACTIVE)
        return self.queryset.annotate(run_count=_count_of(active_runs, "experiment"))

    def filter_queryset(self, queryset):
        if self.detail:  # a deleted experiment is still found by its id (to read or restore it)
            return queryset
        return super().filter_queryset(queryset)

    def _fresh(self, experiment: Experiment) -> Experiment:
        return self.base_queryset().get(pk=experiment.pk)

    def create_object(self, *, data):
        with tracking_errors(field="name"):
            experiment = services.experiment_create(
                team=data["team"],
                by=self.request.user,
                name=data["name"],
                visibility=data.get("visibility", "private"),
                description=data.get("description", ""),
            )
        return self._fresh(experiment)

    def update_object(self, *, instance, data):
        changes = {key: value for key, value in data.items() if key in ("name", "description", "visibility")}
        with tracking_errors(field="name"):
            experiment = services.experiment_update(experiment=instance, by=self.request.user, **changes)
        return self._fresh(experiment)

    def delete_object(self, *, instance) -> None:
        with tracking_errors():
            services.experiment_delete(experiment=instance, by=self.request.user)

    @extend_schema(request=None, responses={200: api.ExperimentSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Bring a deleted experiment back, with the runs deleted with it."""
        experiment = self.get_object()
        with tracking_errors(), acting_user(request.user):
            services.experiment_restore(experiment=experiment, by=request.user)
        return Response(self.get_serializer(self._fresh(experiment)).data)


# --- runs --------------------------------------------------------------------------------------
RUN_SEARCH_PARAMETERS = [
    OpenApiParameter(
        "filter",
        OpenApiTypes.STR,
        description="MLflow's search filter, e.g. `metrics.roc_auc > 0.9 and params.max_depth = '4'` "
        "(metrics, params, tags, attributes, datasets; AND only).",
    ),
    OpenApiParameter(
        "order_by",
        OpenApiTypes.STR,
        many=True,
        description="MLflow's order-by terms, repeatable, e.g. `metrics.roc_auc DESC`; missing values last.",
    ),
]
RUN_LIST_QUERYSET = Run.objects.select_related("experiment", "user", "parent").prefetch_related(
    "params", "latest_metrics", "tags"
)


class RunViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Runs you may see (their experiment's permissions); PATCH changes name, note and tags."""

    queryset = RUN_LIST_QUERYSET
    serializer_class = api.RunSerializer
    filterset_class = RunFilterSet
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f]{32}"
    ordering_fields = ["start_time", "end_time", "name", "status", "created_at"]
    ordering = ["-start_time", "-id"]
    search_fields = ["name", "uuid"]
    action_permissions = {"destroy": Action.CHANGE, "restore": Action.CHANGE}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        experiment_pk = kwargs.get("experiment_pk")
        if experiment_pk is not None and not getattr(self, "swagger_fake_view", False):
            visible = Experiment.objects.restrict(request.user, Action.VIEW).filter(pk=experiment_pk)
            if not visible.exists():
                raise Http404("No such experiment.")

    def base_queryset(self):
        queryset = self.queryset.all()
        if self.kwargs.get("experiment_pk") is not None:
            queryset = queryset.filter(experiment_id=self.kwargs["experiment_pk"])
        if self.detail:
            queryset = queryset.select_related("reproduced_from", "training_job").prefetch_related(
                "inputs__dataset__dataset_version", "logged_models"
            )
            queryset = queryset.annotate(child_count=_count_of(Run.objects.all(), "parent"))
        return queryset

    def filter_queryset(self, queryset):
        if self.detail:  # a deleted run is still found by its id
            return queryset
        queryset = super().filter_queryset(queryset)
        # MLflow's search grammar, parsed and turned into ORM conditions by the tracking selectors.
        filter_string = self.request.query_params.get("filter", "").strip()
        if filter_string:
            with tracking_errors(field="filter"):
                for clause in parse_filter(filter_string):
                    queryset = queryset.filter(run_clause_q(clause))
        order_by = [term for term in self.request.query_params.getlist("order_by") if term.strip()]
        if order_by:
            with tracking_errors(field="order_by"):
                annotations, ordering = run_order_expressions(parse_order_by(order_by))
            queryset = queryset.annotate(**annotations).order_by(*ordering, "-start_time", "-id")
        return queryset

    @extend_schema(parameters=RUN_SEARCH_PARAMETERS)
    def list(self, request, *args, **kwargs):
        """Runs you may see, newest first; filter them as MLflow's search_runs does with `filter`."""
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self):
        return api.RunDetailSerializer if self.detail else api.RunSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["visible_dataset_ids"] = self._visible_input_datasets()
        return context

    def _visible_input_datasets(self) -> set[int] | None:
        """Catalog datasets behind the run's inputs that the reader may see (asked once, on detail)."""
        run = getattr(self, "_run", None)
        if run is None:
            return set()
        ids = {
            run_input.dataset.dataset_version.dataset_id
            for run_input in run.inputs.all()
            if run_input.dataset.dataset_version is not None
        }
        if not ids:
            return set()
        visible = Dataset.objects.restrict(self.request.user, Action.VIEW).filter(pk__in=ids)
        return set(visible.values_list("pk", flat=True))

    def get_object(self):
        self._run = super().get_object()
        return self._run

    def _detail(self, run: Run) -> dict:
        run = self.base_queryset().get(pk=run.pk)
        self._run = run
        return api.RunDetailSerializer(run, context=self.get_serializer_context()).data

    @extend_schema(request=api.RunUpdateSerializer, responses={200: api.RunDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change the run's name or note (Markdown), or set tags."""
        run = self.get_object()
        body = api.RunUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic(), acting_user(request.user):
            if data.get("name"):
                with tracking_errors(field="name"):
                    services.run_update(run=run, by=request.user, name=data["name"])
            if "note" in data:  # MLflow's mlflow.note.content tag follows the note
                with tracking_errors(field="note"):
                    services.run_note_set(run=run, by=request.user, note=data["note"])
            if data.get("tags"):
                with tracking_errors(field="tags"):
                    services.run_tags_set(run=run, by=request.user, tags=data["tags"])
        return Response(self._detail(run))

    def perform_destroy(self, instance) -> None:
        with tracking_errors(), acting_user(self.request.user):
            services.run_delete(run=instance, by=self.request.user)

    @extend_schema(request=None, responses={200: api.RunDetailSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, uuid=None):
        """Bring a deleted run back (its experiment must be active)."""
        run = self.get_object()
        with tracking_errors(), acting_user(request.user):
            services.run_restore(run=run, by=request.user)
        return Response(self._detail(run))


class RunPartViewSet(RestrictedViewSetMixin, viewsets.GenericViewSet):
    """Base for a run's parts: the run must be visible (else 404), and for writes changeable (else 403)."""

    run_lookup = "run__uuid"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(self, "swagger_fake_view", False):
            return
        run = Run.objects.restrict(request.user, Action.VIEW).filter(uuid=kwargs.get("run_uuid")).first()
        if run is None:
            raise Http404("No such run.")
        action = self.restrict_action
        if (
            action != Action.VIEW
            and not Run.objects.restrict(request.user, action).filter(pk=run.pk).exists()
        ):
            raise exceptions.PermissionDenied(f"You may not {action} this run.")
        self.run = run

    def base_queryset(self):
        return self.queryset.filter(run__uuid=self.kwargs.get("run_uuid"))


class RunParamViewSet(RunPartViewSet, mixins.ListModelMixin):
    """A run's parameters, by key."""

    queryset = Param.objects.all()
    serializer_class = api.ParamSerializer
    filter_backends: list = []
    ordering = ["key"]

    def base_queryset(self):
        return super().base_queryset().order_by("key", "id")


class RunMetricViewSet(RunPartViewSet, mixins.ListModelMixin):
    """A run's metrics with their latest point each; `metrics/{key}/` has a metric's whole history."""

    queryset = LatestMetric.objects.all()
    serializer_class = api.LatestMetricSerializer
    filter_backends: list = []

    def base_queryset(self):
        return super().base_queryset().order_by("key", "id")


@extend_schema_view(list=extend_schema(operation_id="runs_metrics_history"))
class RunMetricHistoryViewSet(RunPartViewSet, mixins.ListModelMixin):
    """Every point of one metric of a run, by step then time (paginated; up to 500 points a page)."""

    queryset = Metric.objects.all()
    serializer_class = api.MetricPointSerializer
    filter_backends: list = []

    def base_queryset(self):
        return super().base_queryset().filter(key=self.kwargs.get("key")).order_by("step", "timestamp", "id")


class RunTagViewSet(RunPartViewSet, mixins.ListModelMixin):
    """A run's tags (MLflow's system tags included); POST sets one, DELETE …/tags/{key}/ removes one."""

    queryset = RunTag.objects.all()
    serializer_class = api.RunTagSerializer
    filter_backends: list = []
    action_permissions = {"create": Action.CHANGE, "destroy": Action.CHANGE}

    def base_queryset(self):
        return super().base_queryset().order_by("key", "id")

    @extend_schema(request=api.RunTagSerializer, responses={200: api.RunTagSerializer})
    def create(self, request, *args, **kwargs):
        """Set a tag (a new key, or a new value for an existing one)."""
        body = api.RunTagSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key, value = body.validated_data["key"], body.validated_data["value"]
        with tracking_errors(field="key"), acting_user(request.user):
            services.run_tags_set(run=self.run, by=request.user, tags={key: value})
        return Response({"key": key, "value": value}, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Remove a tag (404 when the run has no tag with that key)."""
        key = self.kwargs.get("key")
        if key.startswith("mlflow."):
            raise exceptions.ValidationError({"key": [f"{key} is set by MLflow itself."]})
        if not RunTag.objects.filter(run=self.run, key=key).exists():
            raise Http404("The run has no tag with this key.")
        with tracking_errors(), acting_user(request.user):
            services.run_tag_delete(run=self.run, by=request.user, key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RunArtifactViewSet(RunPartViewSet, mixins.ListModelMixin):
    """Files a run logged (metadata only), optionally under a folder: `?path=plots/`."""

    queryset = Artifact.objects.all()
    serializer_class = api.ArtifactSerializer
    filter_backends: list = []

    def base_queryset(self):
        queryset = Artifact.objects.filter(run__uuid=self.kwargs.get("run_uuid")).select_related("run")
        queryset = queryset.order_by("path", "id")
        prefix = (self.request.query_params.get("path") or "").strip().lstrip("/")
        if prefix:
            queryset = queryset.filter(path__startswith=prefix)
        return queryset


# --- logged models -----------------------------------------------------------------------------
class LoggedModelViewSet(RestrictedReadOnlyViewSet):
    """Models runs logged (MLflow 3's logged models), with their params and tags; read-only."""

    queryset = LoggedModel.objects.select_related("experiment", "source_run", "user")
    serializer_class = api.LoggedModelSerializer
    filterset_class = LoggedModelFilterSet
    lookup_field = "model_id"
    lookup_value_regex = "m-[0-9a-f]{32}"
    ordering_fields = ["created_at", "name"]
    ordering = ["-created_at", "-id"]
    search_fields = ["name", "model_id"]
