"""/api/v1/ for training: start a training job, follow it, reproduce a run, read the estimator allow-list.

- POST /api/v1/training-jobs/             a training spec → 202 with the job (field-level errors: 400)
- GET  /api/v1/training-jobs/{id}/        the job's status, progress, spec, run and metrics
- POST /api/v1/runs/{run_uuid}/reproduce/ → 202 with the reproduce job; 409 with the reasons when it
                                          cannot be reproduced (deleted data, changed code/packages)
- GET  /api/v1/training/estimators/       the allowed estimators and their hyper-parameters
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status, views
from rest_framework.response import Response

from apps.core.permissions import Action
from apps.experiments.models import Run
from apps.experiments.training import selectors, services
from apps.experiments.training.estimators import ESTIMATORS, TASKS
from apps.experiments.training.spec import TASK_CHOICES, SpecInvalid


class TrainingSpecSerializer(serializers.Serializer):
    """The training spec (validated by the training services, which give every error its field)."""

    dataset_version = serializers.IntegerField(help_text="Id of a catalog dataset version you may view.")
    experiment = serializers.IntegerField(help_text="Id of an experiment where you may run jobs.")
    target = serializers.CharField(help_text="The column to predict.")
    features = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Feature columns; empty: every other column."
    )
    task = serializers.ChoiceField(choices=TASK_CHOICES, required=False, default="auto")
    estimator = serializers.ChoiceField(choices=list(ESTIMATORS))
    params = serializers.DictField(required=False, help_text="Hyper-parameters (see training/estimators/).")
    search = serializers.DictField(
        required=False,
        allow_null=True,
        help_text='{"method": "grid"|"random", "space": {name: [values] | {"min", "max"}}, '
        '"n_iter", "folds"}',
    )
    validation = serializers.DictField(
        required=False,
        help_text='{"method": "holdout", "test_size": 0.2} or {"method": "kfold", "folds": 5}',
    )
    seed = serializers.IntegerField(
        required=False, allow_null=True, help_text="Empty: one is drawn and recorded."
    )
    max_rows = serializers.IntegerField(required=False)
    run_name = serializers.CharField(required=False, allow_blank=True)


class TrainingJobSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    message = serializers.CharField()
    error = serializers.CharField()
    spec = serializers.DictField()
    reproduce_of = serializers.CharField(allow_null=True)
    run = serializers.CharField(allow_null=True, help_text="The run's id (MLflow run_id).")
    run_status = serializers.CharField(allow_null=True)
    metrics = serializers.DictField(child=serializers.FloatField(allow_null=True))
    url = serializers.CharField()
    page = serializers.CharField()


def _job_body(request, job) -> dict:
    run = selectors.training_job_run(user=request.user, job=job)
    metrics = selectors.run_metric_values(run=run) if run is not None else {}
    return {
        "job": job.pk,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.progress_message,
        "error": job.error,
        "spec": (job.params or {}).get("spec") or {},
        "reproduce_of": (job.params or {}).get("reproduce_of"),
        "run": run.uuid if run is not None else None,
        "run_status": run.status if run is not None else None,
        "metrics": {key: (None if value != value else value) for key, value in metrics.items()},  # NaN → null
        "url": reverse("training-job-detail", kwargs={"pk": job.pk}),
        "page": reverse("experiments:training:job_detail", kwargs={"pk": job.pk}),
    }


class TrainingJobListView(views.APIView):
    """POST a training spec: a job trains the model and records a run."""

    @extend_schema(request=TrainingSpecSerializer, responses={202: TrainingJobSerializer})
    def post(self, request):
        try:
            job = services.training_start(data=request.data, by=request.user)
        except SpecInvalid as error:
            raise exceptions.ValidationError(error.errors) from None
        return Response(_job_body(request, job), status=status.HTTP_202_ACCEPTED)


class TrainingJobDetailView(views.APIView):
    """A training or reproduce job: status, progress, the run it records and its metrics."""

    @extend_schema(responses=TrainingJobSerializer)
    def get(self, request, pk: int):
        job = selectors.training_job_get(user=request.user, pk=pk)  # 404 when not visible
        return Response(_job_body(request, job))


class RunReproduceView(views.APIView):
    """Reproduce a finished training run (same data version, spec, seed and code) as a new linked run."""

    @extend_schema(
        request=None,
        responses={
            202: TrainingJobSerializer,
            409: inline_serializer(
                "NotReproducible",
                {
                    "error": serializers.CharField(),
                    "detail": serializers.CharField(),
                },
            ),
        },
    )
    def post(self, request, run_uuid: str):
        visible = Run.objects.restrict(request.user, Action.VIEW).select_related("experiment__team")
        run = visible.filter(uuid=run_uuid).first()
        if run is None:
            raise exceptions.NotFound("No such run.")
        try:
            job = services.run_reproduce(run=run, by=request.user)
        except services.ReproduceRefused as refusal:
            return Response(
                {"error": "not_reproducible", "detail": refusal.messages[0]},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(_job_body(request, job), status=status.HTTP_202_ACCEPTED)


class EstimatorListView(views.APIView):
    """The estimator allow-list: tasks, and each hyper-parameter's type, bounds and default."""

    @extend_schema(
        responses=inline_serializer(
            "Estimator",
            {
                "key": serializers.CharField(),
                "label": serializers.CharField(),
                "description": serializers.CharField(),
                "tasks": serializers.ListField(child=serializers.CharField()),
                "params": serializers.ListField(child=serializers.DictField()),
            },
            many=True,
        )
    )
    def get(self, request):
        body = []
        for estimator in ESTIMATORS.values():
            params = []
            for param in estimator.params:
                params.append(
                    {
                        "name": param.name,
                        "label": param.label,
                        "type": param.kind,
                        "default": param.default,
                        "minimum": param.minimum,
                        "maximum": param.maximum,
                        "exclusive_minimum": param.exclusive_minimum,
                        "choices": list(param.choices) if param.kind == "choice" else None,
                        "nullable": param.nullable,
                        "tasks": [task for task in TASKS if task in param.tasks and task in estimator.tasks],
                        "allowed": param.describe_range(),
                    }
                )
            body.append(
                {
                    "key": estimator.key,
                    "label": estimator.label,
                    "description": estimator.description,
                    "tasks": list(estimator.tasks),
                    "params": params,
                }
            )
        return Response(body)
