"""Cross-team cases for experiment routes (one section per area)."""

from __future__ import annotations

from apps.core.testing.matrix import Listing, Private, Refused, matrix_case, private_asset

# --- REST API (/api/v1/) and admin for experiments, runs and logged models ----------------------
API_EXPERIMENT = "Mule account detection"
API_RUN = "isolation-forest-sweep"
API_PARAM = "contamination_secret_knob"
API_METRIC = "mule_recall_at_k"
API_TAG_VALUE = "project-kestrel"
API_ARTIFACT = "plots/mule_clusters.plotly.json"
API_LOGGED_MODEL = "mule-iforest"


def api_private_experiment(world):
    """Fraud's private experiment with a run (param, metric history, tag, artifact) and a logged model."""
    from apps.core.history import acting_user
    from apps.experiments.models import (
        Artifact,
        Experiment,
        LatestMetric,
        LoggedModel,
        Metric,
        Param,
        Run,
        RunTag,
    )

    experiment = Experiment.objects.filter(team=world.fraud_team, name=API_EXPERIMENT).first()
    if experiment is not None:
        return experiment, experiment.runs.get(name=API_RUN), experiment.logged_models.get()
    with acting_user(world.alice):
        experiment = Experiment.objects.create(
            team=world.fraud_team, name=API_EXPERIMENT, visibility="private", created_by=world.alice
        )
        run = Run.objects.create(
            experiment=experiment, name=API_RUN, user=world.alice, status="FINISHED", start_time=1, end_time=2
        )
        Param.objects.create(run=run, key=API_PARAM, value="0.01")
        for step, value in enumerate((0.2, 0.4)):
            Metric.objects.create(run=run, key=API_METRIC, value=value, step=step, timestamp=step)
        LatestMetric.objects.create(run=run, key=API_METRIC, value=0.4, step=1, timestamp=1)
        RunTag.objects.create(run=run, key="project", value=API_TAG_VALUE)
        Artifact.objects.create(experiment=experiment, run=run, path=API_ARTIFACT, storage_name="x", size=3)
        model = LoggedModel.objects.create(experiment=experiment, name=API_LOGGED_MODEL, source_run=run)
    return experiment, run, model


@private_asset("experiment_api")
def private_experiment_api_asset(world) -> list[str]:
    experiment, run, model = api_private_experiment(world)
    return [
        API_EXPERIMENT,
        API_RUN,
        API_PARAM,
        API_TAG_VALUE,
        API_LOGGED_MODEL,
        run.uuid,
        model.model_id,
        f"/api/v1/experiments/{experiment.pk}/",
    ]


def api_internal_experiment(world):
    """Fraud's internal experiment: bob may read it, not change it."""
    from apps.core.history import acting_user
    from apps.experiments.models import Experiment, Run

    experiment = Experiment.objects.filter(team=world.fraud_team, name="Merchant churn").first()
    if experiment is None:
        with acting_user(world.alice):
            experiment = Experiment.objects.create(
                team=world.fraud_team, name="Merchant churn", visibility="internal"
            )
            Run.objects.create(experiment=experiment, name="baseline", user=world.alice, status="FINISHED")
    return experiment, experiment.runs.get()


@matrix_case("experiment-list")
def api_experiment_list(world):
    fraud = world.fraud_team.slug
    return Listing(
        queries=[
            {},
            {"team": fraud},
            {"name": "mule"},
            {"search": "Mule"},
            {"visibility": "private"},
            {"lifecycle": "all"},
            {"lifecycle": "deleted"},
            {"ordering": "-updated_at"},
        ]
    )


@matrix_case("experiment-list")
def api_experiment_create_in_another_team(world):
    return Listing(method="POST", data={"team": world.fraud_team.slug, "name": API_EXPERIMENT}, status=400)


@matrix_case("logged-model-list")
def api_logged_model_list(world):
    experiment, run, _ = api_private_experiment(world)
    queries = [{}, {"experiment": experiment.pk}, {"run": run.uuid}, {"status": "LOGGED_MODEL_PENDING"}]
    return Listing(queries=[*queries, {"search": "mule"}, {"name": "mule"}, {"ordering": "name"}])


@matrix_case("run-list")
def api_run_list(world):
    experiment, run, _ = api_private_experiment(world)
    return Listing(
        queries=[
            {},
            {"experiment": experiment.pk},
            {"status": "FINISHED"},
            {"user": "alice"},
            {"parent": run.uuid},
            {"search": "isolation"},
            {"name": "mule"},
            {"lifecycle": "all"},
            {"ordering": "-start_time"},
        ]
    )


@matrix_case("experiment-detail", "experiment-restore")
def api_private_experiment_routes(world):
    experiment, _, _ = api_private_experiment(world)
    return Private(kwargs={"pk": experiment.pk}, obj=experiment)


@matrix_case("experiment-runs")
def api_private_experiment_runs(world):
    experiment, _, _ = api_private_experiment(world)
    return Private(kwargs={"experiment_pk": experiment.pk}, obj=experiment)


@matrix_case("run-detail", "run-restore")
def api_private_run_routes(world):
    _, run, _ = api_private_experiment(world)
    return Private(kwargs={"uuid": run.uuid}, obj=run)


@matrix_case("run-param-list", "run-metric-list", "run-tag-list", "run-artifact-list")
def api_private_run_parts(world):
    _, run, _ = api_private_experiment(world)
    return Private(kwargs={"run_uuid": run.uuid}, obj=run)


@matrix_case("run-metric-history")
def api_private_run_metric_history(world):
    _, run, _ = api_private_experiment(world)
    return Private(kwargs={"run_uuid": run.uuid, "key": API_METRIC}, obj=run)


@matrix_case("run-tag-detail")
def api_private_run_tag(world):
    from apps.experiments.models import RunTag

    _, run, _ = api_private_experiment(world)
    tag = RunTag.objects.get(run=run, key="project")
    return Private(kwargs={"run_uuid": run.uuid, "key": "project"}, obj=tag)


@matrix_case("logged-model-detail")
def api_private_logged_model(world):
    _, _, model = api_private_experiment(world)
    return Private(kwargs={"model_id": model.model_id}, obj=model)


@matrix_case("experiment-detail")
def api_internal_experiment_change(world):
    experiment, _ = api_internal_experiment(world)
    return Refused(kwargs={"pk": experiment.pk}, obj=experiment, methods=("PUT", "PATCH", "DELETE"))


@matrix_case("experiment-restore")
def api_internal_experiment_restore(world):
    experiment, _ = api_internal_experiment(world)
    return Refused(kwargs={"pk": experiment.pk}, obj=experiment, statuses=frozenset({403}))


@matrix_case("run-detail")
def api_internal_run_change(world):
    _, run = api_internal_experiment(world)
    return Refused(kwargs={"uuid": run.uuid}, obj=run, methods=("PATCH", "DELETE"), statuses=frozenset({403}))


@matrix_case("run-tag-list")
def api_internal_run_tag_set(world):
    _, run = api_internal_experiment(world)
    return Refused(kwargs={"run_uuid": run.uuid}, obj=run, methods=("POST",), statuses=frozenset({403}))


# The admin site, as pam (data officer of Data Platform): Fraud's objects are out of reach.
ADMIN_OBJECT_STATUSES = frozenset({302, 403, 404})
ADMIN_OBJECTS = {
    # admin prefix: (Fraud's object, status of the changelist for pam, status of the add form)
    "experiments_experiment": (lambda world: api_private_experiment(world)[0], 200, 200),
    "experiments_run": (lambda world: api_private_experiment(world)[1], 200, 403),
    "experiments_loggedmodel": (lambda world: api_private_experiment(world)[2], 200, 403),
}


def register_admin_cases(prefix: str, get_object, list_status: int, add_status: int, query: str) -> None:
    """The six admin routes of one model: list and add forms as listings, object pages as private."""

    @matrix_case(f"admin:{prefix}_changelist")
    def changelist(world):
        get_object(world)
        return Listing(client="pam", status=list_status, queries=[{}, {"q": query}])

    @matrix_case(f"admin:{prefix}_add")
    def add_form(world):
        return Listing(client="pam", status=add_status)

    @matrix_case(f"admin:{prefix}_change", f"admin:{prefix}_delete", f"admin:{prefix}_history")
    def object_pages(world):
        obj = get_object(world)
        return Private(kwargs={"object_id": obj.pk}, obj=obj, client="pam", statuses=ADMIN_OBJECT_STATUSES)

    @matrix_case(f"admin:{prefix}_simple_history")
    def revert_page(world):
        obj = get_object(world)
        record = obj.history.first()
        return Private(
            kwargs={}, args=(obj.pk, record.history_id), obj=obj, client="pam", statuses=ADMIN_OBJECT_STATUSES
        )


for _prefix, _spec in ADMIN_OBJECTS.items():
    register_admin_cases(_prefix, *_spec, query="mule")


@matrix_case("admin:app_list")
def admin_experiments_app_list(world):
    api_private_experiment(world)
    return Listing(client="pam", kwargs={"app_label": "experiments"})


# --- training (pages, htmx partials, API): apps/experiments/tests/matrix_training.py -------------
# --- experiment and run pages (/experiments/): apps/experiments/tests/matrix_pages.py ----------
from apps.experiments.tests.matrix_pages import *  # noqa: E402, F403 - registers the page cases
from apps.experiments.tests.matrix_training import *  # noqa: E402, F403 - registers the training cases
