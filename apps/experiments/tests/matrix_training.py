"""Cross-team cases for the training routes (pages, htmx partials, API) and a private trained run."""

from __future__ import annotations

from apps.core.testing.matrix import Listing, Private, Refused, matrix_case, private_asset

PRIVATE_EXPERIMENT_NAME = "Chargeback fraud detector"
PRIVATE_RUN_NAME = "covert-lynx-314"


def fraud_training(world):
    """Fraud's private experiment with a finished training run and its job, on a private dataset version."""
    from apps.catalog.models import DatasetVersion
    from apps.core.history import acting_user
    from apps.experiments.models import Experiment, Run, RunStatus
    from apps.jobs.models import Job, JobStatus

    run = Run.objects.filter(name=PRIVATE_RUN_NAME).select_related("training_job", "experiment").first()
    if run is not None:
        return run
    with acting_user(world.alice):
        version = DatasetVersion.objects.filter(
            dataset=world.private_dataset
        ).first() or DatasetVersion.objects.create(
            dataset=world.private_dataset,
            number=1,
            schema=[{"name": "amount", "type": "DOUBLE"}, {"name": "is_fraud", "type": "BIGINT"}],
        )
        experiment = Experiment.objects.create(
            team=world.fraud_team, name=PRIVATE_EXPERIMENT_NAME, visibility="private"
        )
        spec = {
            "dataset_version": version.pk, "experiment": experiment.pk, "target": "is_fraud",
            "features": ["amount"], "task": "classification", "estimator": "random_forest",
            "params": {"n_estimators": 10}, "search": None,
            "validation": {"method": "holdout", "test_size": 0.2}, "seed": 1, "max_rows": 1000,
            "run_name": "",
        }  # fmt: skip
        job = Job.objects.create(
            kind="experiments.train",
            requester=world.alice,
            team=world.fraud_team,
            status=JobStatus.SUCCEEDED,
            progress=100,
            params={
                "spec": spec,
                "dataset": f"{world.private_dataset.name} v1",
                "estimator": "Random forest",
            },
            result={"run": "x", "experiment": PRIVATE_EXPERIMENT_NAME},
        )
        return Run.objects.create(
            experiment=experiment,
            name=PRIVATE_RUN_NAME,
            status=RunStatus.FINISHED,
            training_job=job,
            user=world.alice,
        )


@private_asset("training_run")
def private_training_asset(world) -> list[str]:
    fraud_training(world)
    return [PRIVATE_EXPERIMENT_NAME, PRIVATE_RUN_NAME]


@matrix_case("experiments:training:start")
def training_form(world):
    run = fraud_training(world)
    spec = run.training_job.params["spec"]
    return Listing(
        queries=[
            {},
            {"version": spec["dataset_version"]},
            {"dataset": world.private_dataset.pk},
            {"experiment": run.experiment_id},
        ]
    )


@matrix_case("experiments:training:start")
def training_form_post(world):
    # Posting another team's version answers like a version that does not exist.
    spec = fraud_training(world).training_job.params["spec"]
    data = {"version": spec["dataset_version"], "target": "is_fraud", "estimator": "random_forest"}
    return Listing(method="POST", data=data, status=200)


@matrix_case("experiments:training:versions")
def training_versions(world):
    return Listing(queries=[{"dataset": world.private_dataset.pk}, {}])


@matrix_case("experiments:training:params")
def training_params(world):
    return Listing(queries=[{}, {"estimator": "svm", "task": "regression"}])


@matrix_case("experiments:training:job_detail", "experiments:training:job_progress")
def training_job_pages(world):
    job = fraud_training(world).training_job
    return Private(kwargs={"pk": job.pk}, obj=job)


@matrix_case("experiments:training:reproduce")
def reproduce_a_private_run(world):
    run = fraud_training(world)
    return Private(kwargs={"uuid": run.uuid}, obj=run)


@matrix_case("experiments:training:reproduce")
def reproduce_refused_to_an_analyst(world):
    run = fraud_training(world)
    return Refused(kwargs={"uuid": run.uuid}, obj=run, client="ann", statuses=frozenset({403}))


@matrix_case("training-job-list")
def training_job_create(world):
    spec = fraud_training(world).training_job.params["spec"]
    return Listing(method="POST", data=spec, status=400)


@matrix_case("training-job-detail")
def training_job_detail(world):
    job = fraud_training(world).training_job
    return Private(kwargs={"pk": job.pk}, obj=job)


@matrix_case("run-reproduce")
def run_reproduce_api(world):
    run = fraud_training(world)
    return Private(kwargs={"run_uuid": run.uuid}, obj=run)


@matrix_case("training-estimator-list")
def estimator_list(world):
    return Listing()
